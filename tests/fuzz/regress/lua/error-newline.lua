error("two\nlines")
