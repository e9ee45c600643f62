"""qiloop.codelists."""
