#!/bin/sh
# Tests for slug.sh: prints one line per case, exits 1 if any fails.
. ./slug.sh
failed=0
check() {
    got=$(slug "$1")
    if [ "$got" = "$2" ]; then
        echo "ok   '$1' -> '$got'"
    else
        echo "FAIL '$1' -> '$got' (want '$2')"
        failed=1
    fi
}
check "hello" "hello"
check "Hello World" "hello-world"
check "  Tandem: two agents, one screen!  " "tandem-two-agents-one-screen"
check "Rust & Go" "rust-go"
exit $failed
