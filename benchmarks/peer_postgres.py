"""Peer on PostgreSQL: a port of reference/peer_spiff.py (kept as given) where only the store changed: the
same SpiffWorkflow process and work (every step deserializes the workflow, completes a task, serializes it
and stores it with an audit row, one transaction a step), through psycopg on PostgreSQL instead of sqlite3 on
a file. Its tables are made afresh at the start. Prints one JSON line like the original, with the CPU time of
the server process that served it (`server_cpu_seconds`, None when it cannot be read).
Usage: python peer_postgres.py N URL"""
import os, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference"))
from peer_spiff import BpmnParser, BpmnWorkflow, BpmnWorkflowSerializer, TaskState, bpmn_xml  # the same process
from postgres_store import backend_cpu_seconds, fresh_store, print_figures

def main():
    n, url = int(sys.argv[1]), sys.argv[2]
    import tempfile
    f = tempfile.NamedTemporaryFile("w", suffix=".bpmn", delete=False); f.write(bpmn_xml()); f.close()
    parser = BpmnParser(); parser.add_bpmn_file(f.name); spec = parser.get_spec("wbo")
    ser = BpmnWorkflowSerializer()
    db = fresh_store(url, "wf, ev", "wf(id serial primary key, state text)",
                     "ev(id serial primary key, wf int, step text, at double precision)")
    server_cpu = backend_cpu_seconds(db)
    steps = 0; t0 = time.perf_counter()
    for i in range(n):
        wf = BpmnWorkflow(spec); wf.do_engine_steps()
        with db.transaction(): wid = db.execute("insert into wf(state) values (%s) returning id", (ser.serialize_json(wf),)).fetchone()[0]
        while not wf.is_completed():
            wf = ser.deserialize_json(db.execute("select state from wf where id=%s", (wid,)).fetchone()[0])
            ready = wf.get_tasks(state=TaskState.READY, manual=True)
            t = ready[0]; t.data["feasible"] = True; t.run(); wf.do_engine_steps()
            with db.transaction():
                db.execute("update wf set state=%s where id=%s", (ser.serialize_json(wf), wid))
                db.execute("insert into ev(wf, step, at) values (%s,%s,%s)", (wid, t.task_spec.name, time.time()))
            steps += 1
    dt = time.perf_counter() - t0
    end_cpu = backend_cpu_seconds(db)
    print_figures("SpiffWorkflow", n, steps, dt, None if server_cpu is None or end_cpu is None else end_cpu - server_cpu)

if __name__ == "__main__":
    main()
