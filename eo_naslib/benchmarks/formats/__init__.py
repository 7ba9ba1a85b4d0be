"""Readers of the benchmark sources' own file formats (pickle, TFRecord, JSON), without their code."""
