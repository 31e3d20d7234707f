<?php
// HestiaCP API sample "Add Web/DNS/Mail Domain" (PHP), verbatim except host, port and credentials, which come from the environment.

// Server credentials
$hst_hostname = getenv('HEARTH_HOST');
$hst_port = getenv('HEARTH_PORT');
$hst_username = 'admin';
$hst_password = getenv('HEARTH_PASSWORD');
$hst_returncode = 'yes';
$hst_command = 'v-add-domain';

// Domain details
$username = 'demo';
$domain = 'demo.hestiacp.com';

// Prepare POST query
$postvars = array(
    'user' => $hst_username,
    'password' => $hst_password,
    'returncode' => $hst_returncode,
    'cmd' => $hst_command,
    'arg1' => $username,
    'arg2' => $domain
);

// Send POST query via cURL
$postdata = http_build_query($postvars);
$curl = curl_init();
curl_setopt($curl, CURLOPT_URL, 'https://' . $hst_hostname . ':' . $hst_port . '/api/');
curl_setopt($curl, CURLOPT_RETURNTRANSFER,true);
curl_setopt($curl, CURLOPT_SSL_VERIFYPEER, false);
curl_setopt($curl, CURLOPT_SSL_VERIFYHOST, false);
curl_setopt($curl, CURLOPT_POST, true);
curl_setopt($curl, CURLOPT_POSTFIELDS, $postdata);
$answer = curl_exec($curl);

// Check result
if($answer === 0) {
    echo "Domain has been successfuly created\n";
} else {
    echo "Query returned error code: " .$answer. "\n";
}
