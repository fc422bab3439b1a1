"""A SUT node of LoadGen over the Network, as the official LON demo's Flask node behaves.

``POST /predict/`` takes ``{"query": "what_is_my_dummy_feature_<i>?"}`` and answers
``{"result": "dummy_feature_<i>"}``; ``GET|POST /getname/`` answers this node's name,
which contains "Network SUT" as the Network division requires; ``GET /stats/`` tells how
many predictions this node served (for the test). Binds 127.0.0.1 on a free port and
prints ``PORT <n>`` once it listens.

usage: lon_sut_node.py NODE_NAME
"""

import sys
import threading

from flask import Flask, jsonify, request
from werkzeug.serving import make_server

node = sys.argv[1]
app = Flask(__name__)
served = 0
lock = threading.Lock()


@app.route("/predict/", methods=["POST"])
def predict():
    global served
    query = request.get_json(force=True)["query"]
    with lock:
        served += 1
    return jsonify(result=query.removeprefix("what_is_my_").removesuffix("?"))


@app.route("/getname/", methods=["GET", "POST"])
def getname():
    return jsonify(name=f"Demo SUT (Network SUT) node {node}")


@app.route("/stats/", methods=["GET"])
def stats():
    return jsonify(served=served)


server = make_server("127.0.0.1", 0, app, threaded=True)
print(f"PORT {server.server_port}", flush=True)
server.serve_forever()
