"""Raw data-set loaders: one small module per data set, pure functions returning numpy arrays.

Nothing here downloads: every set comes from a scikit-learn / scikit-image bundle
or is generated from a seed. No model code lives here.
"""
