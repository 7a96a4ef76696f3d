//! siyu's errors as Python exceptions: a playbook with errors is a `PlaybookError`
//! carrying the drawn report (what `siyu check` prints) and the diagnostics as JSON
//! values; a snapshot that does not fit is a `SnapshotError`; a batch whose columns
//! do not fit is a `BatchError`. Unreadable files are `OSError`s.

use miette::{GraphicalReportHandler, GraphicalTheme};
use pyo3::exceptions::{PyFileNotFoundError, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyList;

pyo3::create_exception!(
    siyu,
    PlaybookError,
    PyValueError,
    "A playbook with errors. `report` is every diagnostic drawn with its source, as \
     `siyu check` draws them; `diagnostics` is a list of dicts, as `siyu check --format \
     json` gives them."
);
pyo3::create_exception!(
    siyu,
    SnapshotError,
    PyValueError,
    "A snapshot that got no plan: `kind` (`schema`, `malformed`, `runtime`), `member` \
     (the id, when readable) and `rule` (for run-time errors)."
);
pyo3::create_exception!(
    siyu,
    BatchError,
    PyValueError,
    "A members batch whose columns do not fit the playbook's member block: a missing \
     column, or one of the wrong Arrow type."
);

/// The width reports are drawn at, as on the command line.
const WIDTH: usize = 100;

/// The diagnostics as JSON values.
pub fn json_diagnostics<'py>(
    py: Python<'py>,
    diagnostics: &[siyu::Diagnostic],
    sources: &siyu::SourceMap,
) -> PyResult<Bound<'py, PyList>> {
    let values: Vec<siyu::JsonDiagnostic> =
        diagnostics.iter().map(|d| d.to_json(sources)).collect();
    let text = serde_json::to_string(&values).map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(super::json_loads(py, &text)?.cast_into::<PyList>()?)
}

/// The Python exception for a playbook that could not be loaded.
pub fn playbook_error(py: Python<'_>, error: siyu::PlaybookError) -> PyErr {
    let (sources, diagnostics) = match &error {
        siyu::PlaybookError::Invalid {
            sources,
            diagnostics,
            ..
        } => (sources, diagnostics),
        siyu::PlaybookError::Io { source, .. } => {
            let message = error.to_string();
            return match source.kind() {
                std::io::ErrorKind::NotFound => PyFileNotFoundError::new_err(message),
                _ => PyOSError::new_err(message),
            };
        }
        _ => return PyValueError::new_err(error.to_string()),
    };
    let handler =
        GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor()).with_width(WIDTH);
    let mut report = String::new();
    for drawn in error.reports() {
        let mut one = String::new();
        if handler.render_report(&mut one, &drawn).is_err() {
            one = format!("error: {drawn}\n");
        }
        report.push_str(&one);
        report.push('\n');
    }
    report.push_str(&error.to_string());
    let exception = PlaybookError::new_err(report.clone());
    let attach = || -> PyResult<()> {
        let value = exception.value(py);
        value.setattr("report", report.as_str())?;
        value.setattr("diagnostics", json_diagnostics(py, diagnostics, sources)?)?;
        Ok(())
    };
    match attach() {
        Ok(()) => exception,
        Err(failure) => failure,
    }
}

/// The Python exception for a snapshot that got no plan.
pub fn snapshot_error(py: Python<'_>, error: siyu::MemberError) -> PyErr {
    let kind = match error.kind {
        siyu::ErrorKind::Malformed => "malformed",
        siyu::ErrorKind::Schema => "schema",
        siyu::ErrorKind::Runtime => "runtime",
        _ => "input",
    };
    let exception = SnapshotError::new_err(error.message.clone());
    let attach = || -> PyResult<()> {
        let value = exception.value(py);
        value.setattr("kind", kind)?;
        value.setattr("member", error.member.as_deref())?;
        value.setattr("rule", error.rule.as_deref())?;
        Ok(())
    };
    match attach() {
        Ok(()) => exception,
        Err(failure) => failure,
    }
}

/// The Python exception for a batch that does not fit.
pub fn batch_error(_py: Python<'_>, error: siyu::BatchError) -> PyErr {
    BatchError::new_err(error.to_string())
}
