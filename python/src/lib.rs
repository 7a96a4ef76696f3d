//! `siyu._siyu`: the siyu library seen from Python. A [`Playbook`] is checked and
//! compiled once, then plans members one at a time (`plan`, a dict in, a dict out) or a
//! whole Arrow record batch at a time (`plan_arrow`, handed over through the Arrow C
//! data interface without a copy, planned with the interpreter released). Playbooks
//! pickle as their source files, and a process compiles each playbook it is sent only
//! once, which is what a Spark executor needs (`siyu/spark.py`).

mod arrow;
mod bundle;
mod errors;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};

use errors::{PlaybookError, SnapshotError};

/// A playbook checked and compiled once, then asked for any number of plans. Immutable
/// and safe to share between threads.
#[pyclass(frozen, module = "siyu")]
struct Playbook {
    inner: siyu::Playbook,
}

/// The as-of time from an RFC 3339 string or a `datetime` with a time zone.
fn as_of(value: &Bound<'_, PyAny>) -> PyResult<siyu::AsOf> {
    let text = match value.extract::<String>() {
        Ok(text) => text,
        Err(_) if value.hasattr("tzinfo")? && value.hasattr("isoformat")? => {
            if value.getattr("tzinfo")?.is_none() {
                return Err(PyValueError::new_err(
                    "as_of is a datetime without a time zone; give it one (tzinfo)",
                ));
            }
            value.call_method0("isoformat")?.extract()?
        }
        Err(_) => {
            return Err(PyTypeError::new_err(
                "as_of must be an RFC 3339 string or a datetime with a time zone",
            ))
        }
    };
    siyu::AsOf::parse(&text).map_err(|error| PyValueError::new_err(error.to_string()))
}

/// Parses JSON text into a Python value.
fn json_loads<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (text,))
}

#[pymethods]
impl Playbook {
    /// Reads, checks and compiles a playbook file (and the files it includes).
    /// Raises `OSError` when the file cannot be read and `PlaybookError` when the
    /// playbook has errors.
    #[staticmethod]
    fn from_file(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Playbook> {
        let compiled = py.detach(|| siyu::Playbook::from_file(&path));
        compiled
            .map(|inner| Playbook { inner })
            .map_err(|error| errors::playbook_error(py, error))
    }

    /// Checks and compiles a playbook from its text; `name` is shown in diagnostics.
    /// Includes are read relative to the current directory. Raises `PlaybookError`
    /// when the playbook has errors.
    #[staticmethod]
    fn from_source(py: Python<'_>, name: &str, text: &str) -> PyResult<Playbook> {
        siyu::Playbook::from_source(name, text)
            .map(|inner| Playbook { inner })
            .map_err(|error| errors::playbook_error(py, error))
    }

    /// The playbook's name.
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    /// The playbook's time zone, as written (`+08:00`, `Asia/Shanghai`).
    #[getter]
    fn time_zone(&self) -> &str {
        self.inner.time_zone_name()
    }

    /// Stage names, in declaration order.
    #[getter]
    fn stages(&self) -> Vec<String> {
        self.inner.stages().map(String::from).collect()
    }

    /// Rule names, in declaration order.
    #[getter]
    fn rules(&self) -> Vec<String> {
        self.inner.rules().map(String::from).collect()
    }

    /// Channel names, in declaration order.
    #[getter]
    fn channels(&self) -> Vec<String> {
        self.inner.channels().map(String::from).collect()
    }

    /// The warnings found while loading, as `siyu check --format json` gives them.
    #[getter]
    fn warnings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        errors::json_diagnostics(py, self.inner.warnings(), self.inner.sources())
    }

    /// The Arrow schema of members batches, from the `member` block (`None` without
    /// one): one nullable column per field, `id` first and `touches` last.
    #[getter]
    fn member_schema<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.inner
            .member_schema()
            .map(|schema| arrow::export_schema(py, &schema))
            .transpose()
    }

    /// The Arrow schema of the plans `plan_arrow` gives.
    #[getter]
    fn plan_schema<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        arrow::export_schema(py, &self.inner.plan_schema())
    }

    /// Plans one member from its snapshot (a dict of JSON values). Returns the plan as
    /// a dict shaped like a line of `siyu run`; raises `SnapshotError` when the
    /// snapshot does not fit the playbook.
    fn plan<'py>(
        &self,
        py: Python<'py>,
        snapshot: &Bound<'py, PyAny>,
        as_of: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let as_of = self::as_of(as_of)?;
        let text: String = py
            .import("json")?
            .call_method1("dumps", (snapshot,))?
            .extract()?;
        let plan = self
            .inner
            .plan_json(&text, as_of)
            .map_err(|error| errors::snapshot_error(py, error))?;
        let line =
            serde_json::to_string(&plan).map_err(|e| PyValueError::new_err(e.to_string()))?;
        json_loads(py, &line)
    }

    /// Plans a batch of members: a `pyarrow.RecordBatch` (or any object with
    /// `__arrow_c_array__`) whose columns follow `member_schema`. Returns a
    /// `pyarrow.RecordBatch` of plans in `plan_schema`, one row per member in order;
    /// a member that gets no plan has its `error`. The batch is read where it lies
    /// (no copy) and planned with the interpreter released. Raises `BatchError` when a
    /// column the member block needs is missing or of the wrong type.
    fn plan_arrow<'py>(
        &self,
        py: Python<'py>,
        batch: &Bound<'py, PyAny>,
        as_of: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let as_of = self::as_of(as_of)?;
        let members = arrow::import_batch(batch)?;
        let planned = py.detach(|| self.inner.plan_arrow(&members, as_of));
        let plans = planned.map_err(|error| errors::batch_error(py, error))?;
        arrow::export_batch(py, plans)
    }

    /// Pickles the playbook as its source files; unpickled, a process compiles each
    /// playbook once and shares it.
    fn __reduce__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyBytes>,))> {
        let restore = py.import("siyu._siyu")?.getattr("_restore")?;
        let bytes = bundle::bundle(&self.inner)?;
        Ok((restore, (PyBytes::new(py, &bytes),)))
    }

    fn __repr__(&self) -> String {
        format!("<siyu.Playbook {:?}>", self.inner.name())
    }
}

/// The playbook a pickle holds, compiled once per process.
#[pyfunction]
fn _restore(py: Python<'_>, bundle: &[u8]) -> PyResult<Py<Playbook>> {
    bundle::restore(py, bundle, |inner| Py::new(py, Playbook { inner }))
}

/// The Python module.
#[pymodule]
fn _siyu(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    module.add_class::<Playbook>()?;
    module.add("PlaybookError", py.get_type::<PlaybookError>())?;
    module.add("SnapshotError", py.get_type::<SnapshotError>())?;
    module.add("BatchError", py.get_type::<errors::BatchError>())?;
    module.add_function(wrap_pyfunction!(_restore, module)?)?;
    Ok(())
}
