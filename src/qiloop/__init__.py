"""qiloop: a local-first quality-improvement workbench for UK general practice.

The library (this package) never imports Django. See README.md.
"""

__version__ = "0.1.0"
