"""Science and I/O of the InSAR Subsidence Toolkit.

Nothing in this package imports qgis or PyQt: it runs from plain Python, from the
Processing algorithms and from the docks alike.
"""
