.PHONY: run test bench setup lint format migrate clean

setup:
	@scripts/bootstrap

run: setup
	.venv/bin/python manage.py migrate --noinput
	.venv/bin/python manage.py seed_demo
	scripts/serve

test: setup
	scripts/test

bench: setup
	.venv/bin/python -m bench

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format: setup
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

clean:
	rm -rf var/*.sqlite3* var/media var/static
