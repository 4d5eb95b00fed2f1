"""The data stack on cos:// URLs against the emulator, authenticated with an IAM API key:
pandas (CSV, Parquet with the PyArrow engine), a PyArrow dataset over a partitioned prefix,
and a Dask LocalCluster of two worker processes reading and writing a partitioned dataset."""
from __future__ import annotations

import io

import pytest

pytest.importorskip("fsspec")
pytest.importorskip("moto")
pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def test_pandas_csv_round_trip(storage_options, bucket):
    df = pd.DataFrame({"id": range(1000), "name": ["n%d" % i for i in range(1000)], "x": [i / 7 for i in range(1000)]})
    url = "cos://%s/tables/people.csv" % bucket
    df.to_csv(url, index=False, storage_options=storage_options)
    back = pd.read_csv(url, storage_options=storage_options)
    pd.testing.assert_frame_equal(back, df)


def test_pandas_parquet_round_trip_pyarrow(storage_options, bucket, cosfs):
    df = pd.DataFrame({"id": range(50_000), "v": [float(i) * 0.5 for i in range(50_000)],
                       "tag": ["t%d" % (i % 13) for i in range(50_000)]})
    url = "cos://%s/tables/data.parquet" % bucket
    df.to_parquet(url, engine="pyarrow", storage_options=storage_options)
    back = pd.read_parquet(url, engine="pyarrow", storage_options=storage_options)
    pd.testing.assert_frame_equal(back, df)
    cols = pd.read_parquet(url, engine="pyarrow", columns=["tag"], storage_options=storage_options)
    assert list(cols.columns) == ["tag"] and len(cols) == 50_000
    # what was stored is a real Parquet file
    assert pq.read_table(io.BytesIO(cosfs.cat(url))).num_rows == 50_000


def test_pyarrow_dataset_over_partitioned_prefix(cosfs, bucket):
    ds = pytest.importorskip("pyarrow.dataset")
    for year in (2023, 2024):
        for month in (1, 2, 3):
            table = pa.table({"day": list(range(1, 11)), "amount": [year * 100 + month] * 10})
            sink = io.BytesIO()
            pq.write_table(table, sink)
            cosfs.pipe("%s/sales/year=%d/month=%d/part-0.parquet" % (bucket, year, month), sink.getvalue())
    dataset = ds.dataset("%s/sales" % bucket, filesystem=cosfs, format="parquet", partitioning="hive")
    assert dataset.count_rows() == 60
    t = dataset.to_table(filter=(ds.field("year") == 2024) & (ds.field("month") >= 2))
    assert t.num_rows == 20
    assert sorted(set(t.column("amount").to_pylist())) == [202402, 202403]
    assert sorted(set(t.column("year").to_pylist())) == [2024]


@pytest.fixture(scope="module")
def dask_client():
    pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, host="127.0.0.1", silence_logs=40)
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def test_dask_cluster_reads_and_writes_partitioned_dataset(dask_client, storage_options, bucket, cosfs):
    import dask.dataframe as dd

    for i in range(20):
        part = pd.DataFrame({"key": [i % 4] * 50, "value": list(range(i * 50, i * 50 + 50))})
        cosfs.pipe("%s/in/part=%02d/data.parquet" % (bucket, i), part.to_parquet(engine="pyarrow", index=False))
    frame = dd.read_parquet("cos://%s/in/*/data.parquet" % bucket, storage_options=storage_options, engine="pyarrow")
    assert frame.npartitions == 20
    # the work ran in both worker processes
    workers = dask_client.run(lambda: __import__("os").getpid())
    assert len(set(workers.values())) == 2
    totals = frame.groupby("key")["value"].sum().compute()
    # the workers write the results back, one object per partition
    frame.assign(double=frame.value * 2).to_parquet("cos://%s/out" % bucket, storage_options=storage_options,
                                                    engine="pyarrow", write_index=False)
    written = cosfs.glob("%s/out/*.parquet" % bucket)
    assert len(written) == 20
    back = pd.read_parquet("cos://%s/out" % bucket, storage_options=storage_options, engine="pyarrow")
    assert len(back) == 1000 and (back["double"] == back["value"] * 2).all()
    expected = {k: sum(v for v in range(1000) if (v // 50) % 4 == k) for k in range(4)}
    assert totals.to_dict() == expected
