//! Arrow batches across the C data interface: a record batch from any Python object
//! with `__arrow_c_array__` (pyarrow's `RecordBatch`, and others), taken over without
//! copying its buffers; plans and schemas handed to pyarrow the same way.

use std::sync::Arc;

use arrow_array::ffi::{from_ffi, FFI_ArrowArray, FFI_ArrowSchema};
use arrow_array::{Array, RecordBatch, StructArray};
use arrow_schema::{DataType, Schema};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

/// The record batch `object` exports through `__arrow_c_array__`.
pub fn import_batch(object: &Bound<'_, PyAny>) -> PyResult<RecordBatch> {
    if !object.hasattr("__arrow_c_array__")? {
        let hint = if object.hasattr("to_batches")? {
            " (for a table, plan each of `table.to_batches()`)"
        } else {
            ""
        };
        return Err(PyTypeError::new_err(format!(
            "plan_arrow takes a pyarrow.RecordBatch, or any object with __arrow_c_array__{hint}"
        )));
    }
    let (schema, array): (Bound<'_, PyCapsule>, Bound<'_, PyCapsule>) =
        object.call_method0("__arrow_c_array__")?.extract()?;
    let schema = schema
        .pointer_checked(Some(c"arrow_schema"))?
        .cast::<FFI_ArrowSchema>();
    let array = array
        .pointer_checked(Some(c"arrow_array"))?
        .cast::<FFI_ArrowArray>();
    // SAFETY: the capsules hold an exported schema and array (their names say so).
    // The array is moved out, leaving a released one for the capsule to drop; the
    // schema is only read while its capsule is alive.
    let data = unsafe {
        let array = FFI_ArrowArray::from_raw(array.as_ptr());
        from_ffi(array, schema.as_ref())
    };
    let data = data.map_err(|e| PyValueError::new_err(format!("cannot read the batch: {e}")))?;
    if !matches!(data.data_type(), DataType::Struct(_)) {
        return Err(PyTypeError::new_err(
            "plan_arrow takes a record batch (a struct array), not a single column",
        ));
    }
    let columns = StructArray::from(data);
    if columns.null_count() > 0 {
        return Err(PyValueError::new_err("the batch has null rows"));
    }
    Ok(RecordBatch::from(columns))
}

/// Hands a record batch to pyarrow: a `pyarrow.RecordBatch` over the same buffers.
pub fn export_batch(py: Python<'_>, batch: RecordBatch) -> PyResult<Bound<'_, PyAny>> {
    let data = StructArray::from(batch).into_data();
    let array = Box::new(FFI_ArrowArray::new(&data));
    let schema = Box::new(
        FFI_ArrowSchema::try_from(data.data_type())
            .map_err(|e| PyValueError::new_err(e.to_string()))?,
    );
    let class = py.import("pyarrow")?.getattr("RecordBatch")?;
    // pyarrow moves both structs out (leaving them released) before this returns.
    let addresses = (address(&*array), address(&*schema));
    class.call_method1("_import_from_c", addresses)
}

/// Hands a schema to pyarrow.
pub fn export_schema<'py>(py: Python<'py>, schema: &Arc<Schema>) -> PyResult<Bound<'py, PyAny>> {
    let exported = Box::new(
        FFI_ArrowSchema::try_from(schema.as_ref())
            .map_err(|e| PyValueError::new_err(e.to_string()))?,
    );
    let class = py.import("pyarrow")?.getattr("Schema")?;
    class.call_method1("_import_from_c", (address(&*exported),))
}

/// The address of a C struct (on the heap, where it stays put), as pyarrow's
/// `_import_from_c` takes it.
fn address<T>(value: &T) -> usize {
    value as *const T as usize
}
