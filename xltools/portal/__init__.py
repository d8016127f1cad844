"""The office's submission portal (``xltools serve``): a Django application on the same engine as the commands.

Units upload their workbooks (or reports, through ``import``) and see the findings at once; the office follows the
round, sends back, accepts and consolidates. Django is imported only inside this package (the ``portal`` extra)."""
