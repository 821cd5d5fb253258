return {
  methods = { "pq" },
  ratio = { 4, 8 },
}
