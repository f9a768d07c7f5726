"""Run every benchmark; each prints its own table (copy the figures into bench/RESULTS.md)."""
import sys

from bench import assessment_bench, patrol_bench, push_bench, registry_bench, session_cpu

if __name__ == "__main__":
    sys.argv = sys.argv[:1]
    push_bench.main()
    session_cpu.main()
    registry_bench.main()
    patrol_bench.main()
    assessment_bench.main()
