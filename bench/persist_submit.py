#!/usr/bin/env python3
"""For bench/persist.sh: submit the svc_wine study under a new name to a running
coordinator and return when its 30 trials have ended (read from the coordinator's
database, every 5 ms).

    python3 bench/persist_submit.py ENDPOINT DB
"""
import sqlite3
import subprocess
import sys
import time

ep, db = sys.argv[1], sys.argv[2]
name = "svc-%d" % time.time_ns()
subprocess.run(["./hps", "submit", "configs/examples/svc_wine/svc_wine.yaml",
                "study=" + name, "--to", ep, "-q"], check=True)
con = sqlite3.connect(db, timeout=10)
query = ("SELECT COUNT(*) FROM trials t JOIN studies s ON s.id = t.study_id "
         "WHERE s.name = ? AND t.state IN ('COMPLETE', 'PRUNED', 'FAIL')")
while con.execute(query, (name,)).fetchone()[0] < 30:
    time.sleep(0.005)
