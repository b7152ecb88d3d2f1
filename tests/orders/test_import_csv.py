from __future__ import annotations

import string
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orders import importing
from orders.models import ImportMapping, Order, OrderItem

HEADER = (
    "Order Number,Order Date,Store,Recipient Name,Company,Address 1,Address 2,City,State,"
    "Postal Code,Country,Phone,Email,SKU,Item Name,Quantity,Unit Price,Item Weight (oz),Tags"
)


def row(number="1001", name="Jane Doe", country="US", postal="94105", sku="MUG", qty="1", **kw):
    values = {
        "date": "2026-11-25",
        "store": "Shop",
        "street": "1 Market St",
        "city": "San Francisco",
        "state": "CA",
        "price": "10.00",
        "weight": "4",
        "tags": "",
        "item": f"Item {sku}",
    } | kw
    return (
        f"{number},{values['date']},{values['store']},{name},,{values['street']},,"
        f"{values['city']},{values['state']},{postal},{country},,,{sku},{values['item']},{qty},"
        f"{values['price']},{values['weight']},{values['tags']}"
    )


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def test_design_headers_import_without_any_mapping(merchant):
    data = csv_text(row("1001", sku="MUG", qty="2"), row("1001", sku="TEE"), row("1002"))
    result = importing.import_csv(merchant, data)
    assert (result.created, result.updated, result.errors) == (2, 0, [])
    order = Order.objects.get(merchant=merchant, number="1001")
    assert sorted(order.items.values_list("sku", flat=True)) == ["MUG", "TEE"]
    assert order.total == Decimal("30.00")
    assert order.recipient_name == "Jane Doe" and order.state == "CA"


def test_headers_are_case_insensitive_in_any_order_with_bom_and_semicolons(merchant):
    header = "CITY;order number;Recipient name;ADDRESS 1;postal code;country;sku;item name"
    data = "\ufeff" + "\n".join(
        [header, "Toronto;5001;Liam MacDonald;301 Front St W;M5V 2T6;Canada;C1;Card"]
    )
    result = importing.import_csv(merchant, data.encode("utf-8"))
    assert result.errors == [] and result.created == 1
    order = Order.objects.get(number="5001")
    assert (order.city, order.country, order.postal_code) == ("Toronto", "CA", "M5V 2T6")


def test_tab_separated_and_windows_1252_files_import(merchant):
    header = "Order Number\tRecipient Name\tAddress 1\tCity\tCountry\tPostal Code"
    data = "\r\n".join([header, "7001\tJosé Núñez\tCalle 1\tMadrid\tES\t28001"]).encode("cp1252")
    result = importing.import_csv(merchant, data)
    assert result.errors == []
    assert Order.objects.get(number="7001").recipient_name == "José Núñez"


def test_every_bad_row_is_reported_with_its_row_number_and_good_rows_go_in(merchant):
    data = csv_text(
        row("1001"),  # row 2: good
        row("1002", country="Narnia"),  # row 3
        row("1003", qty="lots"),  # row 4
        row("", sku="X"),  # row 5: no order number
        row("1004", postal=""),  # row 6: US without ZIP: imported, flagged (R37c)
        row("1005"),  # row 7: good
    )
    result = importing.import_csv(merchant, data)
    assert result.created == 3
    assert set(Order.objects.values_list("number", flat=True)) == {"1001", "1004", "1005"}
    reasons = {e.row: e.reason for e in result.errors}
    assert sorted(reasons) == [3, 4, 5]
    assert "Country 'Narnia' is unknown" in reasons[3]
    assert "Quantity 'lots'" in reasons[4]
    assert "Order Number is empty" in reasons[5]


@pytest.mark.parametrize(
    "day", ["0001-01-01", "01/01/0001", "1899-12-31", "9999-12-31T23:59:59-12:00", "2200-01-01"]
)
def test_an_order_date_no_store_could_have_is_refused_with_the_years_allowed(
    merchant, owner_client, day
):
    """0001-01-01 was imported, and then the order list and the order's page were server
    errors in the store's zone (the day before year 1); 9999-12-31 at UTC-12 was one at once."""
    result = importing.import_csv(merchant, csv_text(row("1001", date=day), row("1002")))
    assert [e.row for e in result.errors] == [2]
    assert f"Order Date '{day}'" in result.errors[0].reason
    assert "between 1900 and 2199" in result.errors[0].reason
    assert list(Order.objects.values_list("number", flat=True)) == ["1002"]
    assert owner_client.get("/orders/").status_code == 200


def test_a_file_with_a_nul_character_is_refused_before_anything_is_saved(merchant):
    """The upload page refuses NUL bytes; a file given to the command, or text with one, was
    read on and, on PostgreSQL (which stores no NUL), a server error."""
    for data in (csv_text(row("1001", name="Jane\x00Doe")), csv_text(row("1\x002")).encode()):
        with pytest.raises(importing.UnreadableFile, match="NUL"):
            importing.import_csv(merchant, data)
    assert not Order.objects.exists()


def test_a_row_with_an_incomplete_address_is_imported_and_flagged_R37c(merchant):
    data = csv_text(row("1101", postal=""), row("1102", street=""), row("1103"))
    result = importing.import_csv(merchant, data)
    assert result.created == 3 and not result.errors
    flagged = dict(Order.objects.values_list("number", "address_status"))
    assert flagged == {"1101": "incomplete", "1102": "incomplete", "1103": "unchecked"}
    assert Order.objects.get(number="1101").get_address_status_display() == (
        "Address needs attention"
    )


def test_an_order_with_one_bad_item_row_is_not_half_imported(merchant):
    data = csv_text(row("2001", sku="A"), row("2001", sku="B", price="abc"), row("2002"))
    result = importing.import_csv(merchant, data)
    assert not Order.objects.filter(number="2001").exists()
    assert Order.objects.filter(number="2002").exists()
    rows = {e.row: e.reason for e in result.errors}
    assert "Unit Price 'abc'" in rows[3]
    assert "imported whole" in rows[2]


def test_reimporting_updates_instead_of_duplicating(merchant):
    importing.import_csv(merchant, csv_text(row("3001", sku="A"), row("3002")))
    result = importing.import_csv(
        merchant, csv_text(row("3001", sku="B", qty="3", city="Oakland"), row("3003"))
    )
    assert (result.created, result.updated) == (1, 1)
    assert Order.objects.filter(merchant=merchant).count() == 3
    order = Order.objects.get(number="3001")
    assert order.city == "Oakland"
    assert list(order.items.values_list("sku", "quantity")) == [("B", 3)]
    assert OrderItem.objects.filter(order__number="3001").count() == 1


def test_reimporting_a_shipped_order_leaves_it_alone_and_says_so(merchant):
    importing.import_csv(merchant, csv_text(row("4001")))
    Order.objects.filter(number="4001").update(status=Order.Status.SHIPPED)
    result = importing.import_csv(merchant, csv_text(row("4001", city="Elsewhere")))
    assert result.updated == 0
    assert "already shipped" in result.errors[0].reason
    assert Order.objects.get(number="4001").city == "San Francisco"


def test_same_order_number_in_another_merchant_is_a_different_order(merchant, outsider_merchant):
    importing.import_csv(merchant, csv_text(row("5001")))
    importing.import_csv(outsider_merchant, csv_text(row("5001")))
    assert Order.objects.filter(number="5001").count() == 2


def test_country_names_and_codes_are_both_accepted(merchant):
    data = csv_text(
        row("6001", country="Canada", postal="M5V 2T6", state="ON"),
        row("6002", country="gb", postal="SW1A 2AA", state=""),
        row("6003", country="United Kingdom", postal="SW1A 2AA", state=""),
    )
    importing.import_csv(merchant, data)
    assert dict(Order.objects.values_list("number", "country")) == {
        "6001": "CA",
        "6002": "GB",
        "6003": "GB",
    }


def test_missing_required_columns_ask_for_a_mapping_that_is_saved_per_merchant(
    merchant, outsider_merchant
):
    data = "Ref,Ship To,Street,Town,Country\n8001,Jane Doe,1 Main St,Paris,FR\n"
    with pytest.raises(importing.MappingNeeded) as exc:
        importing.import_csv(merchant, data)
    assert "Order Number" in str(exc.value)
    importing.save_mapping(
        merchant,
        {"Ref": "order_number", "Ship To": "recipient_name", "Street": "street1", "Town": "city"},
    )
    assert importing.import_csv(merchant, data).created == 1
    assert ImportMapping.objects.get(merchant=merchant).columns["ship to"] == "recipient_name"
    with pytest.raises(importing.MappingNeeded):
        importing.import_csv(outsider_merchant, data)


def test_package_type_cubic_is_refused_with_the_way_to_cubic_prices_R20(merchant):
    header = "Order Number,Recipient Name,Address 1,City,Postal Code,Package Type"
    data = csv_text("9001,Jane Doe,1 Main St,Austin,78701,Cubic", header=header)
    result = importing.import_csv(merchant, data)
    assert result.created == 0
    reason = result.errors[0].reason
    assert "'Cubic' does not exist" in reason and "Package" in reason and "Priority Mail" in reason


def test_an_empty_or_binary_file_is_refused_before_anything_is_saved(merchant):
    with pytest.raises(importing.UnreadableFile):
        importing.import_csv(merchant, b"")
    with pytest.raises(importing.UnreadableFile):
        importing.import_csv(merchant, b"\x81\x8d\x8f\x90\x9d" * 10)


def test_the_sample_file_imports_cleanly(merchant):
    result = importing.import_csv(merchant, importing.sample_csv())
    assert result.errors == [] and result.created == 2
    assert Order.objects.get(number="1001").items.count() == 2
    assert Order.objects.get(number="1002").country == "CA"


# -- fuzz: whatever the rows hold, each order is all in or all out ---------------------------

cell = st.one_of(
    st.sampled_from(["", "x", "10", "-1", "abc", "1.5", "Canada", "US", "94105", "Narnia"]),
    st.text(alphabet=string.ascii_letters + string.digits + " .,;\"'\n$-", max_size=12),
)
fuzz_row = st.fixed_dictionaries(
    {
        "number": st.sampled_from(["F1", "F2", "F3", "F4", ""]),
        "name": st.sampled_from(["Jane Doe", "", "Al Bo"]),
        "country": st.sampled_from(["US", "CA", "Narnia", "", "germany"]),
        "postal": st.sampled_from(["94105", "", "ABC", "10117"]),
        "qty": st.one_of(st.sampled_from(["1", "2", "0", "", "x"]), cell),
        "price": st.one_of(st.sampled_from(["1.00", "", "-3", "1e9999"]), cell),
        "weight": cell,
        "sku": cell,
    }
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(fuzz_row, min_size=1, max_size=8))
def test_fuzzed_csv_never_half_imports_an_order(merchant, rows):
    import csv
    import io

    Order.objects.filter(merchant=merchant).delete()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER.split(","))
    for r in rows:
        writer.writerow(
            [r["number"], "", "", r["name"], "", "1 Main St", "", "Town", "", r["postal"],
             r["country"], "", "", r["sku"], "Thing", r["qty"], r["price"], r["weight"], ""]
        )  # fmt: skip
    result = importing.import_csv(merchant, buffer.getvalue())
    reported = {e.row for e in result.errors}
    by_number: dict[str, list[int]] = {}
    for index, r in enumerate(rows, start=2):
        by_number.setdefault(r["number"], []).append(index)
    for number, row_numbers in by_number.items():
        saved = Order.objects.filter(merchant=merchant, number=number).first() if number else None
        if saved is None:
            # Not imported: every one of its rows is reported, with a reason.
            assert set(row_numbers) <= reported
        else:
            # Imported: none of its rows is reported, and it has every item row it should.
            assert not set(row_numbers) & reported
            # (every fuzzed row names an item, so each row is one item)
            assert saved.items.count() == len(row_numbers)
    assert result.created == Order.objects.filter(merchant=merchant).count()


def test_optional_columns_carry_customs_details_and_the_residential_flag(merchant):
    header = (
        "Order Number,Recipient Name,Address 1,City,Country,Postal Code,Item Name,"
        "Customs Description,HS Code,Origin Country,Residential"
    )
    data = csv_text(
        "C-1,Liam MacDonald,301 Front St W,Toronto,CA,M5V 2T6,Mug,Ceramic mug,6912.00,Portugal,no",
        "C-2,Liam MacDonald,301 Front St W,Toronto,CA,M5V 2T6,Mug,,69,,",
        header=header,
    )
    result = importing.import_csv(merchant, data)
    assert result.created == 1
    item = OrderItem.objects.get(order__number="C-1")
    assert (item.customs_description, item.hs_code, item.origin_country) == (
        "Ceramic mug",
        "6912.00",
        "PT",
    )
    assert Order.objects.get(number="C-1").residential is False
    assert "HS Code '69'" in result.errors[0].reason


def test_the_package_weight_starts_at_what_the_items_weigh(merchant):
    data = csv_text(
        row("3001", sku="MUG", qty="2", weight="14"), row("3001", sku="TEE", weight="6.5")
    )
    importing.import_csv(merchant, data)
    order = Order.objects.get(number="3001")
    # 2 x 14 oz + 6.5 oz = 34.5 oz
    assert (order.weight_lb, order.weight_oz) == (2, Decimal("2.5"))


def test_items_without_weights_leave_the_package_weight_for_the_merchant(merchant):
    importing.import_csv(merchant, csv_text(row("3002", weight="")))
    order = Order.objects.get(number="3002")
    assert (order.weight_lb, order.weight_oz) == (0, Decimal("0"))
