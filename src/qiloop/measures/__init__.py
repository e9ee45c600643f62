"""qiloop.measures."""
