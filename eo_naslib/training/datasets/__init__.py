"""Classification datasets for training: one interface, a reader per layout, a registry by kind.

A dataset is `(split -> images, labels)` with band names, class names, a patch size and the
layout its files store (NHWC or NCHW); training sees every split as float32 N x C x H x W.

Modules: `base` (the `DataSource` protocol, `DataSplits`, band selection by name), `splits` (the
split protocols `seeds` / `holdout` / `files`, stratified subsets), `loading` (`load_splits`: rows,
bands, training-split statistics, normalisation), `registry` (kinds -> readers, imported on first
use), `folder` (.npy or GeoTIFF patches plus `labels.csv`), `torchgeo_source` (torchgeo's
classification datasets). So2Sat LCZ42 (v2 and v3's random / block / culture_10) is read by
`eo_naslib.training.so2sat`. This package imports none of them.
"""
