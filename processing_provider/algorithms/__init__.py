"""One module per analysis step; each defines SubsidenceAlgorithm subclasses.

The provider discovers them: adding a module here adds its algorithms to the toolbox.
"""
