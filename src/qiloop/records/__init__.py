"""qiloop.records."""
