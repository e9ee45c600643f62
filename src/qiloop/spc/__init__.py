"""qiloop.spc."""
