from qiloop.cli import run

run()
