# The two commands: `make dev` (run locally) and `make test` (everything CI runs).
.PHONY: dev test token race bench release lint clean

dev:
	@bash infra/dev.sh

test:
	@bash infra/test.sh

# make token ARGS="--sub ana --org org_demo --admin"
token:
	@cargo run -q -p holdfast-local -- token $(ARGS)

# The race tests, ten runs in a row against one DynamoDB Local.
race:
	@bash infra/race.sh

# Create-booking latency and throughput through the local server (see README).
bench:
	@bash infra/bench.sh

# A release build of one function, as cargo-lambda would build it for Lambda (x86_64 here).
release:
	cargo build --release -p holdfast-functions --bin create-booking
	@ls -l target/release/create-booking

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

clean:
	rm -rf .holdfast target infra/node_modules
