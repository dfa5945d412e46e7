"""The explorers: one per exercise, on the small shared base of `dlviz.widgets.base`."""
