//! Host-side bindings generated from `wit/plugin.wit`.

wasmtime::component::bindgen!({
    world: "command-plugin",
    path: "../wit",
    imports: { default: async },
    exports: { default: async },
});
