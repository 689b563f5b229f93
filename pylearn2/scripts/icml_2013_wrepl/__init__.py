"""The ICML 2013 representation-learning workshop contests (datasets in pylearn2.datasets.icml_2013)."""
