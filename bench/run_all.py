"""Run every benchmark; each prints its own table (copy the figures into bench/RESULTS.md)."""
from bench import push_bench

if __name__ == "__main__":
    push_bench.main()
