# slug TITLE: prints TITLE as a URL slug.
slug() {
    printf '%s\n' "$1" |
        tr '[:upper:]' '[:lower:]' |
        sed -e 's/[^a-z0-9]/-/g'
}
