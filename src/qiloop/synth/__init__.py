"""qiloop.synth."""
