// HestiaCP API sample "Add Web/DNS/Mail Domain" (NodeJS), verbatim except host, port and credentials, which come from the environment.
//NodeJS Script
//You must have the axios module installed
const axios = require('axios')
const querystring = require('querystring');

//Admin Credentials
const hst_hostname = process.env.HEARTH_HOST
const hst_port = process.env.HEARTH_PORT
const hst_username = 'admin'
const hst_password = process.env.HEARTH_PASSWORD
const hst_returncode = 'yes'
const hst_command = 'v-add-domain'

//Domain details
const username = 'demo'; //username to associate the domain
const domain = 'domain.tld'; //domain

const data_json = {
'user': hst_username,
'password': hst_password,
'returncode': hst_returncode,
'cmd': hst_command,
'arg1': username,
'arg2': domain
}

const data = querystring.stringify(data_json)

axios.post('https://'+hst_hostname+':'+hst_port+'/api/', data)
.then(function (response) {
    console.log(response.data);
    console.log("0 means successful")
})
.catch(function (error) {
    console.log(error);
});
