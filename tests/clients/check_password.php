<?php
// HestiaCP API sample "Check Username and Password" (PHP), verbatim except host, port and credentials, which come from the environment.
// The sample reads a web form; the test fills $_POST from the environment.
$_POST = array('username' => getenv('HEARTH_CHECK_USER'), 'password' => getenv('HEARTH_CHECK_PASSWORD'));
$hostname = getenv('HEARTH_HOST');
$port = getenv('HEARTH_PORT');
$hstadmin = 'admin';
$hstadminpw = getenv('HEARTH_PASSWORD');

$username = $_POST['username'];
$password = $_POST['password'];

$postvars = array(
    'user' => $hstadmin,
    'password' => $hstadminpw,
    'returncode' => 'no',
    'cmd' => 'v-check-user-password',
    'arg1' => $username,
    'arg2' => $password,
    );

// Send POST query via cURL
$postdata = http_build_query($postvars);
$curl = curl_init();
curl_setopt($curl, CURLOPT_HEADER, false);
curl_setopt($curl, CURLOPT_URL, 'https://' . $hostname . ':' . $port . '/api/');
curl_setopt($curl, CURLOPT_RETURNTRANSFER,true);
curl_setopt($curl, CURLOPT_SSL_VERIFYPEER, false);
curl_setopt($curl, CURLOPT_SSL_VERIFYHOST, false);
curl_setopt($curl, CURLOPT_POST, true);
curl_setopt($curl, CURLOPT_POSTFIELDS, $postdata);
$answer = curl_exec($curl);

//var_dump($answer);
// Check result

if($answer == 'OK') {
    echo "OK: User can login\n";
} else {
    echo "Error: Username or password is incorrect\n";
}


?>
