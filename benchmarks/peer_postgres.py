"""Peer on PostgreSQL: a port of reference/peer_spiff.py (kept as given) where only the store changed: the
same SpiffWorkflow process and work (every step deserializes the workflow, completes a task, serializes it
and stores it with an audit row, one transaction a step), through psycopg on PostgreSQL instead of sqlite3 on
a file. Its tables are made afresh at the start. Prints one JSON line like the original, with the CPU time of
the server process that served it (`server_cpu_seconds`, None when it cannot be read).
Usage: python peer_postgres.py N URL"""
import json, sys, time
import psycopg
from postgres_cpu import backend_cpu_seconds
from SpiffWorkflow.bpmn.parser import BpmnParser
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.util.task import TaskState

STEPS = ["intake", "assessment", "feasibility", "business_plan", "financing", "constitution"]

def bpmn_xml():
    tasks, flows = [], []
    prev = "start"
    for i, s in enumerate(STEPS):
        tasks.append(f'<bpmn:userTask id="{s}" name="{s}"/>')
        flows.append(f'<bpmn:sequenceFlow id="f{i}" sourceRef="{prev}" targetRef="{s}"/>')
        prev = s
        if s == "feasibility":
            tasks.append('<bpmn:exclusiveGateway id="gw" default="fok"/>')
            flows.append('<bpmn:sequenceFlow id="fgw" sourceRef="feasibility" targetRef="gw"/>')
            flows.append('<bpmn:sequenceFlow id="fno" sourceRef="gw" targetRef="end"><bpmn:conditionExpression>feasible == False</bpmn:conditionExpression></bpmn:sequenceFlow>')
            flows.append('<bpmn:sequenceFlow id="fok" sourceRef="gw" targetRef="business_plan"/>')
            prev = None
            continue
        if prev is None:
            pass
    # fix: after gateway the chain continues from business_plan
    flows = [f for f in flows if 'sourceRef="None"' not in f]
    flows.append('<bpmn:sequenceFlow id="fend" sourceRef="constitution" targetRef="end"/>')
    body = "\n".join(['<bpmn:startEvent id="start"/>', *tasks, '<bpmn:endEvent id="end"/>', *flows])
    return f'''<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
<bpmn:process id="wbo" isExecutable="true">{body}</bpmn:process></bpmn:definitions>'''

def main():
    n, url = int(sys.argv[1]), sys.argv[2]
    import tempfile, os
    f = tempfile.NamedTemporaryFile("w", suffix=".bpmn", delete=False); f.write(bpmn_xml()); f.close()
    parser = BpmnParser(); parser.add_bpmn_file(f.name); spec = parser.get_spec("wbo")
    ser = BpmnWorkflowSerializer()
    db = psycopg.connect(url, autocommit=True)  # statements outside a transaction, as sqlite3's
    with db.transaction():
        db.execute("drop table if exists wf, ev")
        db.execute("create table wf(id serial primary key, state text)")
        db.execute("create table ev(id serial primary key, wf int, step text, at double precision)")
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
    print(json.dumps({"engine": "SpiffWorkflow", "cases": n, "steps": steps, "seconds": round(dt, 3), "steps_per_s": round(steps / dt, 1),
                      "server_cpu_seconds": None if server_cpu is None or end_cpu is None else round(end_cpu - server_cpu, 3)}))

if __name__ == "__main__":
    main()
