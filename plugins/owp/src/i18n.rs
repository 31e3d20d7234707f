//! OWP's message strings (`config/locales/en.yml`, `ru.yml`): validation messages, event
//! texts (`t_message`) and task texts (`t_description`). Unknown locales fall back to English.

use std::collections::BTreeMap;

/// A validation message by key.
pub fn validation(locale: &str, key: &str) -> String {
    let ru = locale == "ru";
    let text = match key {
        "blank" if ru => "не может быть пустым",
        "blank" => "can't be blank",
        "login_too_short" if ru => "Логин слишком короткий (минимум символов: 2).",
        "login_too_short" => "Login is too short (minimum symbols: 2).",
        "too_long" if ru => "слишком большой длины (не может быть больше чем 40 символов)",
        "too_long" => "is too long (maximum is 40 characters)",
        "login_taken" if ru => "Пользователь с таким логином уже существует.",
        "login_taken" => "User with such login is already exist.",
        "login_format" if ru => "используйте только буквы, цифры и .-_@",
        "login_format" => "use only letters, numbers, and .-_@ please.",
        "password_confirmation_required" if ru => "Необходимо подтверждение пароля.",
        "password_confirmation_required" => "Password confirmation is required.",
        "password_mismatch" if ru => "Пароль и подтверждение не совпадают.",
        "password_mismatch" => "Password and confirmation are not equal.",
        "password_too_short" if ru => "Пароль слишком короткий (минимум символов: 6).",
        "password_too_short" => "Password is too short (minimum symbols: 6).",
        "email_invalid" if ru => "имеет неверное значение",
        "email_invalid" => "is invalid",
        "ip_invalid" if ru => "Некорректный IP адрес.",
        "ip_invalid" => "Incorrect IP address.",
        "ip_range" if ru => "Некорректный диапазон IP адресов.",
        "ip_range" => "Incorrect IP addresses range.",
        "ip_taken" => "IP address was assigned already to the other server.",
        "ip_not_in_pool" => "IP address not found in available IP pools.",
        "identity_taken" => "Such identity belongs to the other server.",
        "nameserver_invalid" => "DNS server IP address is invalid.",
        "search_domain_invalid" => "Search domains are invalid.",
        "host_name_invalid" if ru => "Некорректное имя хоста.",
        "host_name_invalid" => "Hostname is invalid.",
        "required" if ru => "Это поле обязательно для заполнения.",
        "required" => "This field is required.",
        "auth_key_invalid" => "Unable to authorize. Probably incorrect auth key.",
        "connection_failed" => "Connection failed. Maybe daemon is not running.",
        "ssh_unavailable" => "Unable to establish SSH connection.",
        "host_taken" => "Server with such name is already present.",
        "port_invalid" => "Invalid port number.",
        "port_low" => "Port number should be greater than 1023.",
        "port_high" => "Port number should be less than 49152.",
        other => other,
    };
    text.to_string()
}

fn fill(template: &str, params: &BTreeMap<String, String>) -> String {
    let mut text = template.to_string();
    for (key, value) in params {
        text = text.replace(&format!("{{{{{key}}}}}"), value);
    }
    text
}

/// `t_message` of an event: `admin.events.<key>` with its parameters.
pub fn event(locale: &str, key: &str, params: &BTreeMap<String, String>) -> String {
    let ru = locale == "ru";
    let template = match key {
        "internal_error" if ru => "Внутренняя ошибка: {{message}}",
        "internal_error" => "Internal error: {{message}}",
        "user.created" if ru => "Пользователь {{login}} был создан.",
        "user.created" => "User {{login}} was created.",
        "user.updated" if ru => "Пользователь {{login}} был изменен.",
        "user.updated" => "User {{login}} was updated.",
        "user.removed" if ru => "Пользователь {{login}} был удален.",
        "user.removed" => "User {{login}} was removed.",
        "hardware_server.connect" if ru => "Физический сервер {{host}} был подключен.",
        "hardware_server.connect" => "Physical server {{host}} was connected.",
        "hardware_server.disconnect" if ru => "Физический сервер {{host}} был отключен.",
        "hardware_server.disconnect" => "Physical server {{host}} was disconnected.",
        "hardware_server.sync" if ru => "Физический сервер {{host}} был синхронизирован.",
        "hardware_server.sync" => "Physical server {{host}} was synchronized.",
        "hardware_server.sync_failed" => "Failed to synchronize physical server {{host}}.",
        "virtual_server.created" if ru => "Виртуальный сервер {{identity}} был создан.",
        "virtual_server.created" => "Virtual server {{identity}} was created.",
        "virtual_server.removed" if ru => "Виртуальный сервер {{identity}} был удален.",
        "virtual_server.removed" => "Virtual server {{identity}} was removed.",
        "virtual_server.updated" if ru => "Виртуальный сервер {{identity}} был изменен.",
        "virtual_server.updated" => "Virtual server {{identity}} was updated.",
        "virtual_server.change_state_failed" => {
            "Failed to change state for virtual server {{identity}}; state: {{state}}; code: {{code}}."
        }
        other => other,
    };
    fill(template, params)
}

/// `t_description` of a task.
pub fn task(locale: &str, key: &str, params: &BTreeMap<String, String>) -> String {
    let ru = locale == "ru";
    let template = match key {
        "backups.create" if ru => "Резервное копирование виртуального сервера {{identity}}.",
        "backups.create" => "Backup of the virtual server {{identity}}.",
        "backups.restore" => "Restore of the virtual server {{identity}}.",
        "os_templates.install" => "OS templates installation on the server {{host}}.",
        other => other,
    };
    fill(template, params)
}
