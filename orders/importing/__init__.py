"""Order import: CSV files (upload and command line) and JSON (the API) share one pipeline.

An order is imported whole or not at all: when any of its rows is bad, every row of that
order is reported and none of them goes in, while other orders still import. Re-importing
an order number updates the order (address and items) instead of creating a second one;
rules run only for new orders entering Awaiting Shipment or On Hold (R36, R15).
"""

from __future__ import annotations

from orders.importing.checks import (
    ORDER_DATE_YEARS,
    CheckedOrder,
    check_item,
    check_order,
    check_order_fields,
    parse_date,
    parse_decimal,
    parse_package_type,
)
from orders.importing.common import (
    ALIASES,
    CHUNK_ORDERS,
    COLUMNS,
    DATE_FORMATS,
    HS_CODE,
    KNOWN_HEADERS,
    MAX_LENGTHS,
    MAX_STORED_ERRORS,
    ORDER_FIELDS,
    REQUIRED,
    STATUS_WORDS,
    US_ZIP,
    ImportResult,
    MappingNeeded,
    OrderInput,
    Progress,
    RowError,
    UnreadableFile,
    fold,
)
from orders.importing.json_api import (
    API_ITEM_FIELDS,
    API_ORDER_FIELDS,
    errors_for_storage,
    import_json,
    orders_from_json,
    sample_csv,
)
from orders.importing.reading import (
    column_map,
    decode,
    group_rows,
    read_table,
    save_mapping,
    saved_mapping,
    sniff_delimiter,
    unknown_headers,
)
from orders.importing.saving import (
    ORDER_UPDATE_FIELDS,
    count_rows,
    import_csv,
    import_orders,
    save_chunk,
)

__all__ = [
    "ALIASES",
    "API_ITEM_FIELDS",
    "API_ORDER_FIELDS",
    "CHUNK_ORDERS",
    "COLUMNS",
    "CheckedOrder",
    "DATE_FORMATS",
    "HS_CODE",
    "ImportResult",
    "KNOWN_HEADERS",
    "MAX_LENGTHS",
    "MAX_STORED_ERRORS",
    "MappingNeeded",
    "ORDER_FIELDS",
    "ORDER_UPDATE_FIELDS",
    "OrderInput",
    "Progress",
    "REQUIRED",
    "RowError",
    "STATUS_WORDS",
    "US_ZIP",
    "UnreadableFile",
    "check_item",
    "check_order",
    "check_order_fields",
    "column_map",
    "count_rows",
    "decode",
    "errors_for_storage",
    "fold",
    "group_rows",
    "import_csv",
    "import_json",
    "import_orders",
    "orders_from_json",
    "ORDER_DATE_YEARS",
    "parse_date",
    "parse_decimal",
    "parse_package_type",
    "read_table",
    "sample_csv",
    "save_chunk",
    "save_mapping",
    "saved_mapping",
    "sniff_delimiter",
    "unknown_headers",
]
