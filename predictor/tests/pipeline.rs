//! The pipeline's refusals, on committed zoo models: scikit-learn's imputer and scalers
//! refuse infinities even in front of HistGradientBoosting, which on its own takes them.

use predictor::{Model, Scaling};

fn zoo_model(name: &str) -> Model {
    let path = format!("{}/sklearn-1.9/{name}.model.json", golden::zoo::DIR);
    Model::from_json(&std::fs::read(&path).unwrap()).unwrap()
}

#[test]
fn an_infinity_in_front_of_a_scaler_is_refused_by_row_and_column() {
    let model = zoo_model("pipeline_minmax_hist_gradient_boosting");
    let mut rows = vec![0.5; model.n_features() * 2];
    rows[model.n_features() + 2] = f64::INFINITY;
    let err = model
        .predict_batch(&rows, Scaling::Training, false)
        .unwrap_err();
    assert_eq!(predictor::api::status_of(&err), 422);
    assert_eq!(
        err.to_string(),
        format!(
            "row 1: value for {} is not a finite number",
            model.feature(2)
        )
    );
}

#[test]
fn hist_gradient_boosting_alone_takes_infinities_as_scikit_learn_does() {
    let model = zoo_model("hist_gradient_boosting_squared_error");
    let mut rows = vec![0.5; model.n_features()];
    rows[0] = f64::NEG_INFINITY;
    assert!(model.predict_batch(&rows, Scaling::Training, false).is_ok());
}
