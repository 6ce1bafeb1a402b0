#!/bin/sh
# Tests for slug.sh and post.sh: one line per case, exits 1 if any fails.
. ./slug.sh
. ./post.sh
failed=0
check() {
    if [ "$2" = "$3" ]; then
        echo "ok   $1 -> '$2'"
    else
        echo "FAIL $1 -> '$2' (want '$3')"
        failed=1
    fi
}
check "slug 'hello'" "$(slug "hello")" "hello"
check "slug 'Hello World'" "$(slug "Hello World")" "hello-world"
check "slug '  Tandem: two agents, one screen!  '" \
    "$(slug "  Tandem: two agents, one screen!  ")" "tandem-two-agents-one-screen"
check "slug 'Rust & Go'" "$(slug "Rust & Go")" "rust-go"
check "post_path 'Hello, World!'" "$(post_path "Hello, World!" 2026-01-05)" \
    "posts/2026-01-05-hello-world.md"
exit $failed
