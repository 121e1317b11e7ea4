# The ORIGINAL Flask service (Udacity "ml-microservice-kubernetes" app.py), kept runnable on its exact
# pins (tools/reference/requirements.txt) as the compatibility and performance baseline; see reference/README.md.
from flask import Flask, request, jsonify
from flask.logging import create_logger
import logging
import os

import pandas as pd
from sklearn.externals import joblib
from sklearn.preprocessing import StandardScaler

# Changed from the original: the model path is configurable (the original loaded
# "./model_data/boston_housing_prediction.joblib" relative to its working directory).
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL_PATH = os.environ.get(
    "MODEL_PATH", os.path.join(_ROOT, "model_data", "boston_housing_prediction.joblib"))

app = Flask(__name__)
LOG = create_logger(app)
LOG.setLevel(logging.INFO)


def scale(payload):
    """Scales Payload"""

    LOG.info(f"Scaling Payload: \n{payload}")
    scaler = StandardScaler().fit(payload.astype(float))
    scaled_adhoc_predict = scaler.transform(payload.astype(float))
    return scaled_adhoc_predict


@app.route("/")
def home():
    html = f"<h3>Sklearn Prediction Home</h3>"
    return html.format(format)


@app.route("/predict", methods=['POST'])
def predict():
    """Performs an sklearn prediction

    input looks like:
    {
    "CHAS":{
      "0":0
    },
    "RM":{
      "0":6.575
    },
    "TAX":{
      "0":296.0
    },
    "PTRATIO":{
       "0":15.3
    },
    "B":{
       "0":396.9
    },
    "LSTAT":{
       "0":4.98
    }

    result looks like:
    { "prediction": [ <val> ] }

    """

    # Load pretrained model as clf. Try any one model.
    # clf = joblib.load("./Housing_price_model/LinearRegression.joblib")
    # clf = joblib.load("./Housing_price_model/StochasticGradientDescent.joblib")
    # clf = joblib.load("./Housing_price_model/SupportVectorMachine.joblib")
    try:
        clf = joblib.load(MODEL_PATH)
    except:
        LOG.info("JSON payload: %s json_payload")
        return "Model not loaded"

    json_payload = request.json
    LOG.info(f"JSON payload: \n{json_payload}")
    inference_payload = pd.DataFrame(json_payload)
    LOG.info(f"Inference payload DataFrame: \n{inference_payload}")
    # scale the input
    scaled_payload = scale(inference_payload)
    # get an output prediction from the pretrained model, clf
    prediction = list(clf.predict(scaled_payload))
    # TO DO:  Log the output prediction value
    return jsonify({'prediction': prediction})


if __name__ == "__main__":
    # Changed from the original (port 8080 on 0.0.0.0, debug=True): host and port come from
    # HOST/PORT (default 127.0.0.1:8080); debug stays on (errors answer with the debugger's
    # 500 HTML page, as the original did) but the auto-reloader is off so the server is one
    # process that stops with its PID.
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "8080")),
            debug=True, use_reloader=False)
