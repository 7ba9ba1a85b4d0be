"""`eo-naslib reproduce`: the seeds' tables and figures from public data, one resumable item each
(`items`, `results`), per seed (`seed000` ... `seed003`, `transfer`), run by `runner` into the
report (`report`); `synthetic` writes stand-in benchmarks for the end-to-end test."""
