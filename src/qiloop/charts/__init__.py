"""qiloop.charts."""
