//! Trygg's web extension for WebKitGTK: video pictures reach the page in one message each.
//!
//! Without it the page fetches each picture from the shell's `trygg-frames:` scheme, and
//! WebKitGTK reads a scheme's answer 8 KiB at a time, one message to the web process per read:
//! about 43 messages for a 640x360 picture, 1,300 a second for one 30 fps tile, which cost more
//! of a core than drawing the pictures did (`make bench-desktop`, README).
//!
//! WebKit loads this library into the web process (the app points it at the folder,
//! src-tauri/src/pictures.rs). It gives the page `__tryggPictures.pull(id, into, callback)`, which
//! asks the app for watch `id`'s next picture with one user message (`trygg-pull`, `(tb)`: the id,
//! and whether this process holds the watch's shared memory). The app answers with a status (0 a
//! picture, 1 nothing yet, 2 the watch has stopped) and the picture: `(ut)`, its length in memory
//! the watch shares with this process (a sealed region, mapped read-only when an answer brings its
//! descriptor), or `(uay)`, the bytes themselves. A mapping is let go when another replaces it,
//! when the watch is gone, and when the page says it has stopped pulling
//! (`__tryggPictures.release(id)`). The bytes are copied once, into `into` (a
//! `Uint8Array` the page reuses) when they fit, else into a new buffer, and `callback(status,
//! buffer, length)` runs. The shared region spares WebKit fresh shared memory for each picture
//! message, and reusing the page's buffers spares the web process fresh memory, and its page
//! faults, for every picture. When the app does not answer (an older app, a failure), the status
//! is 3 and the page goes back to fetching.
//!
//! `__tryggPictures.pullRgba` is the same for a page that draws on the CPU into a 2D canvas: a
//! whole I420 picture is converted to RGBA on its way into `into` (src/rgba.rs), in a fraction of
//! the time the page's JavaScript takes, and without the copy.
//!
//! Nothing here trusts the picture: the conversion takes only a whole picture of a sane size, and
//! the page checks what it gets (ui/src/backend/frames.ts), as it does a fetched one. The page
//! can only ask; what it gets is decided in the app.
#![cfg(target_os = "linux")]

mod rgba;

use std::ffi::{c_char, c_uint, c_void};
use std::ptr;

use gio_sys::{GAsyncReadyCallback, GAsyncResult};
use glib_sys::{GDestroyNotify, GError, GType, GVariant, GVariantType, gboolean, gpointer};
use gobject_sys::{GCallback, GObject};

/// WebKit's and JavaScriptCore's objects are only passed around here, never looked into.
type Opaque = c_void;

/// The status the page gets when the app gave no answer it understands.
const NOT_SERVED: f64 = 3.0;
/// JavaScriptCore's `JSC_TYPED_ARRAY_UINT8`.
const UINT8: c_uint = 5;

#[link(name = "webkit2gtk-4.1")]
unsafe extern "C" {
    fn webkit_script_world_get_default() -> *mut Opaque;
    fn webkit_web_page_get_id(page: *mut Opaque) -> u64;
    fn webkit_web_extension_get_page(extension: *mut Opaque, page_id: u64) -> *mut Opaque;
    fn webkit_frame_is_main_frame(frame: *mut Opaque) -> gboolean;
    fn webkit_frame_get_js_context_for_script_world(frame: *mut Opaque, world: *mut Opaque) -> *mut Opaque;
    fn webkit_user_message_new(name: *const c_char, parameters: *mut GVariant) -> *mut Opaque;
    fn webkit_user_message_get_parameters(message: *mut Opaque) -> *mut GVariant;
    fn webkit_user_message_get_fd_list(message: *mut Opaque) -> *mut gio_sys::GUnixFDList;
    fn webkit_web_page_send_message_to_view(
        page: *mut Opaque,
        message: *mut Opaque,
        cancellable: *mut Opaque,
        callback: GAsyncReadyCallback,
        user_data: gpointer,
    );
    fn webkit_web_page_send_message_to_view_finish(
        page: *mut Opaque,
        result: *mut GAsyncResult,
        error: *mut *mut GError,
    ) -> *mut Opaque;
}

#[link(name = "javascriptcoregtk-4.1")]
unsafe extern "C" {
    fn jsc_value_get_type() -> GType;
    #[allow(clippy::too_many_arguments)]
    fn jsc_value_new_functionv(
        context: *mut Opaque,
        name: *const c_char,
        callback: GCallback,
        user_data: gpointer,
        destroy_notify: GDestroyNotify,
        return_type: GType,
        n_parameters: c_uint,
        parameter_types: *mut GType,
    ) -> *mut Opaque;
    fn jsc_value_new_object(context: *mut Opaque, instance: gpointer, jsc_class: *mut Opaque) -> *mut Opaque;
    fn jsc_value_object_set_property(value: *mut Opaque, name: *const c_char, property: *mut Opaque);
    fn jsc_context_set_value(context: *mut Opaque, name: *const c_char, value: *mut Opaque);
    fn jsc_value_get_context(value: *mut Opaque) -> *mut Opaque;
    fn jsc_value_new_number(context: *mut Opaque, number: f64) -> *mut Opaque;
    fn jsc_value_new_null(context: *mut Opaque) -> *mut Opaque;
    fn jsc_value_new_typed_array(context: *mut Opaque, kind: c_uint, length: usize) -> *mut Opaque;
    fn jsc_value_typed_array_get_data(value: *mut Opaque, length: *mut usize) -> gpointer;
    fn jsc_value_typed_array_get_buffer(value: *mut Opaque) -> *mut Opaque;
    fn jsc_value_is_typed_array(value: *mut Opaque) -> gboolean;
    fn jsc_value_is_function(value: *mut Opaque) -> gboolean;
    fn jsc_value_typed_array_get_offset(value: *mut Opaque) -> usize;
    fn jsc_context_get_current() -> *mut Opaque;
    fn jsc_context_throw(context: *mut Opaque, message: *const c_char);
    fn jsc_context_get_exception(context: *mut Opaque) -> *mut Opaque;
    fn jsc_context_clear_exception(context: *mut Opaque);
    fn jsc_exception_report(exception: *mut Opaque) -> *mut c_char;
    fn jsc_value_typed_array_get_type(value: *mut Opaque) -> c_uint;
    fn jsc_value_function_callv(value: *mut Opaque, n_parameters: c_uint, parameters: *mut *mut Opaque) -> *mut Opaque;
}

/// The extension object WebKit gave us: pages are looked up through it by id when the page calls,
/// so no reference to a page is held.
static EXTENSION: std::sync::atomic::AtomicPtr<Opaque> = std::sync::atomic::AtomicPtr::new(ptr::null_mut());

/// WebKit calls this once when it loads the extension into a web process.
///
/// # Safety
/// Called by WebKit on the web process's main thread, with its extension object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn webkit_web_extension_initialize(extension: *mut Opaque) {
    EXTENSION.store(extension, std::sync::atomic::Ordering::Relaxed);
    // SAFETY: the default world lives as long as the process; the handler has the signal's
    // signature (world, page, frame, user data).
    unsafe {
        let handler: unsafe extern "C" fn(*mut Opaque, *mut Opaque, *mut Opaque, gpointer) = window_object_cleared;
        gobject_sys::g_signal_connect_data(
            webkit_script_world_get_default() as *mut GObject,
            c"window-object-cleared".as_ptr(),
            Some(std::mem::transmute::<
                unsafe extern "C" fn(*mut Opaque, *mut Opaque, *mut Opaque, gpointer),
                unsafe extern "C" fn(),
            >(handler)),
            ptr::null_mut(),
            None,
            0,
        );
    }
}

/// A new page in the main frame: give it `__tryggPictures.pull`, `.pullRgba` and `.release`.
unsafe extern "C" fn window_object_cleared(world: *mut Opaque, page: *mut Opaque, frame: *mut Opaque, _: gpointer) {
    // SAFETY: WebKit passes live objects; every reference taken here is given back; the function
    // keeps only the page's id, freed with it (`free_page_id`).
    unsafe {
        if webkit_frame_is_main_frame(frame) == 0 {
            return;
        }
        let context = webkit_frame_get_js_context_for_script_world(frame, world);
        if context.is_null() {
            return;
        }
        let api = jsc_value_new_object(context, ptr::null_mut(), ptr::null_mut());
        type Pull = unsafe extern "C" fn(f64, *mut Opaque, *mut Opaque, gpointer);
        for (name, pull) in [(c"pull", pull as Pull), (c"pullRgba", pull_rgba as Pull)] {
            let page_id = Box::into_raw(Box::new(webkit_web_page_get_id(page))) as gpointer;
            let mut parameters = [gobject_sys::G_TYPE_DOUBLE, jsc_value_get_type(), jsc_value_get_type()];
            let callback = std::mem::transmute::<Pull, unsafe extern "C" fn()>(pull);
            method(context, api, name, callback, &mut parameters, page_id, Some(free_page_id));
        }
        let release = std::mem::transmute::<unsafe extern "C" fn(f64, gpointer), unsafe extern "C" fn()>(release);
        method(context, api, c"release", release, &mut [gobject_sys::G_TYPE_DOUBLE], ptr::null_mut(), None);
        jsc_context_set_value(context, c"__tryggPictures".as_ptr(), api);
        gobject_sys::g_object_unref(api as *mut GObject);
        gobject_sys::g_object_unref(context as *mut GObject);
    }
}

/// Adds function `name` to the page's object `api`: `callback` takes `parameters` and then
/// `user_data`, which `destroy` frees with the function.
unsafe fn method(
    context: *mut Opaque,
    api: *mut Opaque,
    name: &std::ffi::CStr,
    callback: unsafe extern "C" fn(),
    parameters: &mut [GType],
    user_data: gpointer,
    destroy: GDestroyNotify,
) {
    // SAFETY: `callback` has the signature `parameters` describe; the function's reference is
    // given back once the object holds it.
    unsafe {
        let function = jsc_value_new_functionv(
            context,
            name.as_ptr(),
            Some(callback),
            user_data,
            destroy,
            gobject_sys::G_TYPE_NONE,
            parameters.len() as c_uint,
            parameters.as_mut_ptr(),
        );
        jsc_value_object_set_property(api, name.as_ptr(), function);
        gobject_sys::g_object_unref(function as *mut GObject);
    }
}

unsafe extern "C" fn free_page_id(id: gpointer) {
    // SAFETY: only ever given the box made in `window_object_cleared`.
    drop(unsafe { Box::from_raw(id as *mut u64) })
}

/// Where `len` bytes go: the page's `into` (a `Uint8Array`) when they fit, else a new
/// `ArrayBuffer` (WebKit's JavaScriptCore keeps array buffers in its own cage and cannot wrap the
/// message's memory). Returns the place to write and the buffer it is in, or `None`.
unsafe fn room(context: *mut Opaque, into: *mut Opaque, len: usize) -> Option<(*mut u8, *mut Opaque)> {
    // SAFETY: a typed array's data holds its length in bytes for a `Uint8Array`, checked before
    // it is handed out; `into` is kept alive by the reference of `Pending`, a new array by its
    // buffer.
    unsafe {
        // Only a whole buffer's view: the page reads the picture from the buffer's start.
        if !into.is_null()
            && jsc_value_is_typed_array(into) != 0
            && jsc_value_typed_array_get_type(into) == UINT8
            && jsc_value_typed_array_get_offset(into) == 0
        {
            // The buffer first: the data's address is taken last, right before it is written.
            let buffer = jsc_value_typed_array_get_buffer(into);
            let mut room = 0usize;
            let at = jsc_value_typed_array_get_data(into, &mut room) as *mut u8;
            if !at.is_null() && room >= len {
                return Some((at, buffer));
            }
            if !buffer.is_null() {
                gobject_sys::g_object_unref(buffer as *mut GObject);
            }
        }
        let array = jsc_value_new_typed_array(context, UINT8, len);
        if array.is_null() {
            return None;
        }
        let buffer = jsc_value_typed_array_get_buffer(array);
        let mut room = 0usize;
        let at = jsc_value_typed_array_get_data(array, &mut room) as *mut u8;
        gobject_sys::g_object_unref(array as *mut GObject);
        if !at.is_null() && !buffer.is_null() && room == len {
            Some((at, buffer))
        } else {
            if !buffer.is_null() {
                gobject_sys::g_object_unref(buffer as *mut GObject);
            }
            None
        }
    }
}

/// The app's picture for the page, written once: converted to RGBA when the page asked for it
/// and it is a whole I420 picture, else as it came. Returns the buffer and the length written.
unsafe fn written(context: *mut Opaque, bytes: &[u8], rgba: bool, into: *mut Opaque) -> Option<(*mut Opaque, usize)> {
    // SAFETY: `room` hands out exactly the bytes asked for.
    unsafe {
        match rgba.then(|| rgba::i420_size(bytes)).flatten() {
            Some(size) => {
                let len = rgba::rgba_len(size);
                let (at, buffer) = room(context, into, len)?;
                rgba::convert(bytes, size, std::slice::from_raw_parts_mut(at, len));
                Some((buffer, len))
            }
            None => {
                let (at, buffer) = room(context, into, bytes.len())?;
                ptr::copy_nonoverlapping(bytes.as_ptr(), at, bytes.len());
                Some((buffer, bytes.len()))
            }
        }
    }
}

/// A watch's pictures, shared by the app (src-tauri/src/picture_memory.rs): mapped read-only
/// when an answer brings the region, unmapped when a new one replaces it or the watch is gone.
struct Region {
    map: *const u8,
    len: usize,
}

impl Region {
    /// Maps the region of descriptor `fd`, which this takes and closes.
    unsafe fn map(fd: libc::c_int) -> Option<Region> {
        // SAFETY: `fd` is ours to close; the mapping is read-only, of the region's own size.
        unsafe {
            let mut stat: libc::stat = std::mem::zeroed();
            let sized = libc::fstat(fd, &mut stat) == 0 && stat.st_size > 0;
            let len = stat.st_size as usize;
            let map = if sized {
                libc::mmap(ptr::null_mut(), len, libc::PROT_READ, libc::MAP_SHARED, fd, 0)
            } else {
                libc::MAP_FAILED
            };
            libc::close(fd);
            (map != libc::MAP_FAILED).then(|| Region { map: map as *const u8, len })
        }
    }

    /// The first `len` bytes, if the region holds that many.
    ///
    /// The app writes a watch's next picture only once the page asks for it, after this one is
    /// converted; a page that pulled one watch twice at once could see a picture half
    /// overwritten, never memory outside the region.
    fn picture(&self, len: usize) -> Option<&[u8]> {
        // SAFETY: the mapping holds `self.len` bytes while `self` lives.
        (len <= self.len).then(|| unsafe { std::slice::from_raw_parts(self.map, len) })
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `map`, unmapped once.
        unsafe { libc::munmap(self.map as *mut c_void, self.len) };
    }
}

thread_local! {
    /// The shared regions by watch id. Pulls are answered on the web process's main thread.
    static REGIONS: std::cell::RefCell<std::collections::HashMap<u64, Region>> = Default::default();
}

/// `__tryggPictures.release(id)`: the page has stopped pulling watch `id`; its mapping goes.
unsafe extern "C" fn release(id: f64, _: gpointer) {
    if id.is_finite() && id >= 0.0 {
        REGIONS.with_borrow_mut(|r| r.remove(&(id as u64)));
    }
}

/// The answer's picture, from the message `(uay)` or from the watch's shared region `(ut)`
/// (mapped first when the answer brings it), written for the page. Returns the status, the
/// buffer and its length; status 3 for an answer this does not understand.
unsafe fn picture_of(
    context: *mut Opaque,
    reply: *mut Opaque,
    id: u64,
    rgba: bool,
    into: *mut Opaque,
) -> (f64, Option<(*mut Opaque, usize)>) {
    // SAFETY: the parameters' types are checked before they are read; the descriptor list is the
    // message's, and `g_unix_fd_list_get` gives a descriptor of our own.
    unsafe {
        let parameters = if reply.is_null() { ptr::null_mut() } else { webkit_user_message_get_parameters(reply) };
        if parameters.is_null() {
            return (NOT_SERVED, None);
        }
        let inline = glib_sys::g_variant_is_of_type(parameters, c"(uay)".as_ptr() as *const GVariantType) != 0;
        let shared = glib_sys::g_variant_is_of_type(parameters, c"(ut)".as_ptr() as *const GVariantType) != 0;
        if !inline && !shared {
            return (NOT_SERVED, None);
        }
        let first = glib_sys::g_variant_get_child_value(parameters, 0);
        let status = glib_sys::g_variant_get_uint32(first);
        glib_sys::g_variant_unref(first);
        if status == 2 {
            // The watch is gone: so is its shared memory.
            REGIONS.with_borrow_mut(|r| r.remove(&id));
            return (2.0, None);
        }
        let second = glib_sys::g_variant_get_child_value(parameters, 1);
        if inline {
            let mut len = 0usize;
            let data = glib_sys::g_variant_get_fixed_array(second, &mut len, 1) as *const u8;
            let out = if len > 0 && !data.is_null() {
                written(context, std::slice::from_raw_parts(data, len), rgba, into)
            } else {
                None
            };
            glib_sys::g_variant_unref(second);
            return (f64::from(status), out);
        }
        let len = glib_sys::g_variant_get_uint64(second) as usize;
        glib_sys::g_variant_unref(second);
        let fds = webkit_user_message_get_fd_list(reply);
        if !fds.is_null() && gio_sys::g_unix_fd_list_get_length(fds) > 0 {
            let fd = gio_sys::g_unix_fd_list_get(fds, 0, ptr::null_mut());
            let region = if fd >= 0 { Region::map(fd) } else { None };
            REGIONS.with_borrow_mut(|r| match region {
                Some(region) => r.insert(id, region),
                None => r.remove(&id),
            });
        }
        match status {
            0 => REGIONS.with_borrow(|r| match r.get(&id).and_then(|region| region.picture(len)) {
                Some(bytes) => (0.0, written(context, bytes, rgba, into)),
                // A length past the region, or no region: not a picture this can read.
                None => (NOT_SERVED, None),
            }),
            other => (f64::from(other), None),
        }
    }
}

/// What a pull keeps until its answer: the page's callback and the buffer it offered.
struct Pending {
    callback: *mut Opaque,
    into: *mut Opaque,
    /// Asked through `pullRgba`.
    rgba: bool,
    /// The watch.
    id: u64,
}

/// `__tryggPictures.pull(id, into, callback)`: asks the app for the picture. A callback that is
/// not a function throws in the page; so does a call from a page that has gone.
unsafe extern "C" fn pull(id: f64, into: *mut Opaque, callback: *mut Opaque, page_id: gpointer) {
    // SAFETY: as `start`'s.
    unsafe { start(id, into, callback, page_id, false) }
}

/// `__tryggPictures.pullRgba(id, into, callback)`: the same, with the picture converted to RGBA
/// (`TRR1`, src/rgba.rs) for the page's 2D canvas.
unsafe extern "C" fn pull_rgba(id: f64, into: *mut Opaque, callback: *mut Opaque, page_id: gpointer) {
    // SAFETY: as `start`'s.
    unsafe { start(id, into, callback, page_id, true) }
}

/// Sends one pull's message; [`answered`] takes the answer.
unsafe fn start(id: f64, into: *mut Opaque, callback: *mut Opaque, page_id: gpointer, rgba: bool) {
    // SAFETY: `page_id` is the box the function holds; the page is looked up by it and not kept;
    // `into` and the callback are kept alive by our references until the answer comes
    // (`answered` releases them).
    unsafe {
        let context = jsc_context_get_current();
        if jsc_value_is_function(callback) == 0 {
            jsc_context_throw(context, c"__tryggPictures.pull: the callback must be a function".as_ptr());
            return;
        }
        let page = webkit_web_extension_get_page(
            EXTENSION.load(std::sync::atomic::Ordering::Relaxed),
            *(page_id as *const u64),
        );
        if page.is_null() {
            jsc_context_throw(context, c"__tryggPictures.pull: the page has gone".as_ptr());
            return;
        }
        let id = if id.is_finite() && id >= 0.0 { id as u64 } else { u64::MAX };
        let mapped = REGIONS.with_borrow(|r| r.contains_key(&id));
        let mut pair = [glib_sys::g_variant_new_uint64(id), glib_sys::g_variant_new_boolean(mapped.into())];
        let message =
            webkit_user_message_new(c"trygg-pull".as_ptr(), glib_sys::g_variant_new_tuple(pair.as_mut_ptr(), 2));
        let pending = Box::new(Pending {
            callback: gobject_sys::g_object_ref(callback as *mut GObject) as *mut Opaque,
            into: gobject_sys::g_object_ref(into as *mut GObject) as *mut Opaque,
            rgba,
            id,
        });
        webkit_web_page_send_message_to_view(
            page,
            message,
            ptr::null_mut(),
            Some(answered),
            Box::into_raw(pending) as gpointer,
        );
    }
}

/// The app's answer: hand the picture to the page's callback.
unsafe extern "C" fn answered(page: *mut GObject, result: *mut GAsyncResult, pending: gpointer) {
    // SAFETY: `pending` is the box made in `pull`, taken back here with its references, which
    // are released here; the answer's parameters are checked for their type before they are read.
    unsafe {
        let Pending { callback, into, rgba, id } = *Box::from_raw(pending as *mut Pending);
        let context = jsc_value_get_context(callback);
        let mut error: *mut GError = ptr::null_mut();
        let reply = webkit_web_page_send_message_to_view_finish(page as *mut Opaque, result, &mut error);
        if !error.is_null() {
            glib_sys::g_error_free(error);
        }
        let (status, out) = picture_of(context, reply, id, rgba, into);
        let (buffer, len) = out.unwrap_or_else(|| (jsc_value_new_null(context), 0));
        let mut arguments = [jsc_value_new_number(context, status), buffer, jsc_value_new_number(context, len as f64)];
        let returned = jsc_value_function_callv(callback, arguments.len() as c_uint, arguments.as_mut_ptr());
        // An exception in the page's callback is the page's fault: reported to the log, not kept.
        let exception = jsc_context_get_exception(context);
        if !exception.is_null() {
            let report = jsc_exception_report(exception);
            if !report.is_null() {
                glib_sys::g_log(
                    c"trygg-webext".as_ptr(),
                    glib_sys::G_LOG_LEVEL_WARNING,
                    c"the page's picture callback threw: %s".as_ptr(),
                    report,
                );
                glib_sys::g_free(report as gpointer);
            }
            jsc_context_clear_exception(context);
        }
        for value in [returned, arguments[0], arguments[1], arguments[2]] {
            if !value.is_null() {
                gobject_sys::g_object_unref(value as *mut GObject);
            }
        }
        if !reply.is_null() {
            gobject_sys::g_object_unref(reply as *mut GObject);
        }
        gobject_sys::g_object_unref(callback as *mut GObject);
        gobject_sys::g_object_unref(into as *mut GObject);
    }
}
