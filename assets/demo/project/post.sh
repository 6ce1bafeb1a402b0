# post_path TITLE DATE: prints where the post TITLE written on DATE is kept.
post_path() {
    printf 'posts/%s-%s.md\n' "$2" "$1"
}
