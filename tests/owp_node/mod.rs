//! A test OpenVZ hardware node: OWP's `hw-daemon` (XML-RPC over HTTP at `/xmlrpc`, basic
//! auth `admin:<key>`) on loopback, answering `hwDaemon.version`, `exec`, `write_file`,
//! `job` and `job_status` from an in-memory node: containers driven by `vzctl`, `vzlist`,
//! the `/etc/vz` files, templates, and the scripts `vzctl runscript` runs.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use base64::Engine as _;
use hearth::owp::xmlrpc::{self, Value};

/// One container on the node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Container {
    pub hostname: String,
    pub ips: Vec<String>,
    pub running: bool,
    pub ostemplate: String,
    pub config: String,
    pub root_password: Option<String>,
}

/// Everything the node holds, visible to the test.
#[derive(Debug, Default)]
pub struct NodeState {
    pub containers: BTreeMap<String, Container>,
    pub files: BTreeMap<String, String>,
    /// Every `hwDaemon.exec` as `command args`, in order.
    pub commands: Vec<String>,
    /// Every XML-RPC method called, in order.
    pub methods: Vec<String>,
    jobs: BTreeMap<String, (i32, String)>,
}

/// A running test daemon.
pub struct Node {
    pub port: u16,
    pub key: String,
    pub state: Arc<Mutex<NodeState>>,
}

const VZ_CONF: &str = "VE_ROOT=/vz/root/$VEID\nVE_PRIVATE=/vz/private/$VEID\nTEMPLATE=/vz/template\nDEF_OSTEMPLATE=\"centos-5-x86_64\"\nCONFIGFILE=\"basic\"\nDUMPDIR=/vz/dump\n";

const VE_CONF: &str = "KMEMSIZE=\"11055923:11377049\"\nLOCKEDPAGES=\"256:256\"\nNUMPROC=\"240\"\nSHMPAGES=\"unlimited\"\n";

/// The `basic` server template.
const BASIC_SAMPLE: &str = "ONBOOT=\"yes\"\nNAMESERVER=\"8.8.8.8\"\nDISKSPACE=\"2097152:2306867\"\nPRIVVMPAGES=\"65536:69632\"\nCPUUNITS=\"1000\"\n";

impl Node {
    /// Starts the daemon on a loopback port OWP accepts (1024..49151).
    pub fn start(key: &str) -> Self {
        let mut listener = None;
        for offset in 0..2000u32 {
            let port = 20_000 + (std::process::id() * 7 + offset * 13) % 29_000;
            if let Ok(bound) = TcpListener::bind(("127.0.0.1", port as u16)) {
                listener = Some(bound);
                break;
            }
        }
        let listener = listener.expect("bind a port for the test node");
        let port = listener.local_addr().expect("local address").port();
        let state = Arc::new(Mutex::new(NodeState::default()));
        let shared = state.clone();
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("admin:{key}"))
        );
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                let expected = expected.clone();
                thread::spawn(move || serve(stream, &state, &expected));
            }
        });
        Node {
            port,
            key: key.to_string(),
            state,
        }
    }

    /// A copy of a container.
    pub fn container(&self, id: &str) -> Option<Container> {
        self.lock().containers.get(id).cloned()
    }

    /// The exec log.
    pub fn commands(&self) -> Vec<String> {
        self.lock().commands.clone()
    }

    pub fn lock(&self) -> std::sync::MutexGuard<'_, NodeState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn serve(mut stream: TcpStream, state: &Mutex<NodeState>, expected: &str) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone the stream"));
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut length = 0usize;
    let mut authorized = false;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            let value = value.trim();
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.parse().unwrap_or(0),
                "authorization" => authorized = value == expected,
                _ => {}
            }
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let (status, reply) = if !request_line.starts_with("POST /xmlrpc ") {
        ("404 Not Found", String::new())
    } else if !authorized {
        ("401 Unauthorized", String::new())
    } else {
        let text = String::from_utf8_lossy(&body);
        match xmlrpc::parse_call(&text) {
            Ok((method, params)) => ("200 OK", handle(state, &method, &params)),
            Err(error) => ("400 Bad Request", error.to_string()),
        }
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
        reply.len()
    );
    let _ = stream.write_all(response.as_bytes());
}

fn fault(code: i64, message: &str) -> String {
    format!(
        "<?xml version=\"1.0\" ?><methodResponse><fault><value><struct><member><name>faultCode</name><value><i4>{code}</i4></value></member><member><name>faultString</name><value><string>{}</string></value></member></struct></value></fault></methodResponse>\n",
        xmlrpc::escape(message)
    )
}

fn text(params: &[Value], index: usize) -> String {
    params.get(index).and_then(Value::text).unwrap_or_default()
}

fn exec_value(code: i32, output: &str) -> Value {
    Value::Struct(vec![
        ("exit_code".into(), Value::Int(i64::from(code))),
        ("output".into(), Value::Str(output.to_string())),
    ])
}

fn handle(state: &Mutex<NodeState>, method: &str, params: &[Value]) -> String {
    let mut node = state.lock().unwrap_or_else(|e| e.into_inner());
    node.methods.push(method.to_string());
    match method {
        "hwDaemon.version" => xmlrpc::encode_response(&Value::Str("1.3".into())),
        "hwDaemon.exec" => {
            let (command, args) = (text(params, 0), text(params, 1));
            node.commands.push(format!("{command} {args}"));
            let (code, output) = exec(&mut node, &command, &args);
            xmlrpc::encode_response(&exec_value(code, &output))
        }
        "hwDaemon.write_file" => {
            node.files.insert(text(params, 0), text(params, 1));
            xmlrpc::encode_response(&Value::Bool(true))
        }
        "hwDaemon.job" => {
            let (command, args) = (text(params, 0), text(params, 1));
            node.commands.push(format!("{command} {args}"));
            let result = exec(&mut node, &command, &args);
            let id = (node.jobs.len() + 1).to_string();
            node.jobs.insert(id.clone(), result);
            xmlrpc::encode_response(&Value::Struct(vec![("job_id".into(), Value::Str(id))]))
        }
        "hwDaemon.job_status" => {
            let id = text(params, 0);
            let value = match node.jobs.get(&id) {
                Some((code, output)) => Value::Struct(vec![
                    ("found".into(), Value::Bool(true)),
                    ("alive".into(), Value::Bool(false)),
                    ("result".into(), exec_value(*code, output)),
                ]),
                None => Value::Struct(vec![
                    ("found".into(), Value::Bool(false)),
                    ("alive".into(), Value::Bool(false)),
                ]),
            };
            xmlrpc::encode_response(&value)
        }
        other => fault(
            -99,
            &format!("Method {other} missing or wrong number of parameters!"),
        ),
    }
}

/// Splits shell words, honouring single quotes.
fn words(args: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in args.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    out.push(std::mem::take(&mut current));
                    any = false;
                }
            }
            c => {
                current.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(current);
    }
    out
}

fn exec(node: &mut NodeState, command: &str, args: &str) -> (i32, String) {
    let argv = words(args);
    let arg = |i: usize| argv.get(i).cloned().unwrap_or_default();
    let missing = |id: &str| (44, format!("Container {id} does not exist\n"));
    match command {
        "vzctl" => match arg(0).as_str() {
            "--version" => (0, "vzctl version 4.9.4\n".into()),
            "create" => {
                let id = arg(1);
                if node.containers.contains_key(&id) {
                    return (
                        44,
                        format!("Container private area /vz/private/{id} already exists\n"),
                    );
                }
                let option = |name: &str| {
                    argv.iter()
                        .position(|a| a == name)
                        .and_then(|i| argv.get(i + 1))
                        .cloned()
                        .unwrap_or_default()
                };
                node.containers.insert(
                    id.clone(),
                    Container {
                        hostname: String::new(),
                        ips: Vec::new(),
                        running: false,
                        ostemplate: option("--ostemplate"),
                        config: option("--config"),
                        root_password: None,
                    },
                );
                (0, format!("Container {id} created\n"))
            }
            "set" => {
                let id = arg(1);
                let Some(container) = node.containers.get_mut(&id) else {
                    return missing(&id);
                };
                let mut i = 2;
                while i < argv.len() {
                    let value = argv.get(i + 1).cloned().unwrap_or_default();
                    match argv[i].as_str() {
                        "--hostname" => container.hostname = value,
                        "--ipadd" => container.ips.push(value),
                        "--ipdel" => container.ips.clear(),
                        "--userpasswd" => {
                            container.root_password =
                                value.strip_prefix("root:").map(str::to_string)
                        }
                        "--save" => {
                            i += 1;
                            continue;
                        }
                        _ => {}
                    }
                    i += 2;
                }
                (0, "Saved parameters\n".into())
            }
            action @ ("start" | "stop" | "restart" | "destroy") => {
                let id = arg(1);
                let Some(container) = node.containers.get_mut(&id) else {
                    return missing(&id);
                };
                match action {
                    "start" | "restart" => container.running = true,
                    "stop" => container.running = false,
                    _ => {
                        if container.running {
                            return (
                                41,
                                "Container is currently running. Stop it first.\n".into(),
                            );
                        }
                        node.containers.remove(&id);
                    }
                }
                (0, String::new())
            }
            "runscript" => {
                let id = arg(1);
                let Some(container) = node.containers.get(&id) else {
                    return missing(&id);
                };
                if !container.running {
                    return (3, format!("Container {id} is not running\n"));
                }
                let Some(script) = node.files.get(&arg(2)) else {
                    return (1, "script not found\n".into());
                };
                let mut output = String::new();
                let mut code = 0;
                for line in script.lines().skip(1) {
                    let words = words(line);
                    match words.first().map(String::as_str) {
                        Some("echo") => {
                            output.push_str(&words[1..].join(" "));
                            output.push('\n');
                        }
                        Some("false") => code = 1,
                        Some(other) => {
                            output.push_str(&format!("sh: {other}: not found\n"));
                            code = 127;
                        }
                        None => {}
                    }
                }
                (code, output)
            }
            "chkpnt" => (0, String::new()),
            other => (1, format!("Invalid action {other}\n")),
        },
        "vzlist" => {
            let lines: String = node
                .containers
                .iter()
                .map(|(id, c)| {
                    let hostname = if c.hostname.is_empty() {
                        "-"
                    } else {
                        &c.hostname
                    };
                    let ips = if c.ips.is_empty() {
                        "-".to_string()
                    } else {
                        c.ips.join(" ")
                    };
                    let status = if c.running { "running" } else { "stopped" };
                    format!("{id:>10} {hostname} {ips} {status}\n")
                })
                .collect();
            (0, lines)
        }
        "test" if args == "-d /proc/vz/vswap" => (0, String::new()),
        "cat" if args == "/etc/vz/vz.conf" => (0, VZ_CONF.into()),
        "cat" if args == "/etc/vz/conf/ve-basic.conf-sample" => (0, BASIC_SAMPLE.into()),
        "cat" => {
            let id = args
                .strip_prefix("/etc/vz/conf/")
                .and_then(|f| f.strip_suffix(".conf"))
                .unwrap_or("");
            if node.containers.contains_key(id) {
                (0, VE_CONF.into())
            } else {
                (1, format!("cat: {args}: No such file or directory\n"))
            }
        }
        "ls" if args.starts_with("--block-size=M -s") => (
            0,
            "total 302M\n182M centos-5-x86_64.tar.gz\n120M debian-7.0-x86_64.tar.gz\n".into(),
        ),
        "ls" if args == "/etc/vz/conf/ve-*.conf-sample" => (
            0,
            "/etc/vz/conf/ve-basic.conf-sample\n/etc/vz/conf/ve-light.conf-sample\n".into(),
        ),
        "rm" => {
            for word in argv.iter().filter(|w| !w.starts_with('-')) {
                node.files.remove(word);
            }
            (0, String::new())
        }
        "tar" | "cp" => (0, String::new()),
        "stat" => (0, "10485760\n".into()),
        other => (127, format!("sh: {other}: command not found\n")),
    }
}
