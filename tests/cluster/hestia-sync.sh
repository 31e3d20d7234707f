#!/bin/bash
# Replays HestiaCP's own DNS-cluster client for a full sync: the curl calls of
# func/remote.sh (send_api_cmd, send_api_file) in the order bin/v-sync-dns-cluster makes
# them, each response body used as the shell return status the way Hestia does
# (`return $answer`). Only the paths are parameters.
#
# usage: hestia-sync.sh HOST PORT HASH DNS_USER MASTER_DATA_ROOT MASTER_HOSTNAME

HOST=$1
PORT=$2
HASH=$3
DNS_USER=$4
HESTIA_DATA=$5
HOSTNAME=$6
USER_DATA=$HESTIA_DATA/data/users
E_CONNECT=15
TYPE=api

# func/remote.sh
send_api_cmd() {
	if [ -n "$PASSWORD" ]; then
		answer=$(curl -s -k \
			--data-urlencode "user=$USER" \
			--data-urlencode "password=$PASSWORD" \
			--data-urlencode "returncode=yes" \
			--data-urlencode "cmd=$1" \
			--data-urlencode "arg1=$2" \
			--data-urlencode "arg2=$3" \
			--data-urlencode "arg3=$4" \
			--data-urlencode "arg4=$5" \
			--data-urlencode "arg5=$6" \
			--data-urlencode "arg6=$7" \
			--data-urlencode "arg7=$8" \
			--data-urlencode "arg8=$9" \
			https://$HOST:$PORT/api/)
	else
		answer=$(curl -s -k \
			--data-urlencode "hash=$HASH" \
			--data-urlencode "returncode=yes" \
			--data-urlencode "cmd=$1" \
			--data-urlencode "arg1=$2" \
			--data-urlencode "arg2=$3" \
			--data-urlencode "arg3=$4" \
			--data-urlencode "arg4=$5" \
			--data-urlencode "arg5=$6" \
			--data-urlencode "arg6=$7" \
			--data-urlencode "arg7=$8" \
			--data-urlencode "arg8=$9" \
			https://$HOST:$PORT/api/)
	fi
	return $answer
}

send_api_file() {
	if [ -n "$PASSWORD" ]; then
		answer=$(curl -s -k \
			--data-urlencode "user=$USER" \
			--data-urlencode "password=$PASSWORD" \
			--data-urlencode "returncode=yes" \
			--data-urlencode "cmd=v-make-tmp-file" \
			--data-urlencode "arg1=$(cat $1)" \
			--data-urlencode "arg2=$2" \
			https://$HOST:$PORT/api/)
	else
		answer=$(curl -s -k \
			--data-urlencode "hash=$HASH" \
			--data-urlencode "returncode=yes" \
			--data-urlencode "cmd=v-make-tmp-file" \
			--data-urlencode "arg1=$(cat $1)" \
			--data-urlencode "arg2=$2" \
			https://$HOST:$PORT/api/)
	fi
	return $answer
}

cluster_cmd() {
	case $TYPE in
		api) send_api_cmd $* ;;
	esac
}

cluster_file() {
	case $TYPE in
		api) send_api_file $* ;;
	esac
}

# func/main.sh (the three-argument form: message, then the code to exit with)
check_result() {
	if [ "$1" -ne 0 ]; then
		echo "Error: $2"
		exit "$3"
	fi
}

# bin/v-sync-dns-cluster, for one host
IFS=$'\n'

# Wiping remote domains
cluster_cmd v-delete-dns-domains-src $DNS_USER $HOSTNAME no
check_result $? "$HOST connection failed" $E_CONNECT

# Syncing user domains
user_list=$(ls -d $USER_DATA/*/ | sed "s#$USER_DATA/##" | sed s"/.$//" | grep -v "dns-cluster")
for user in $user_list; do
	for str in $(cat $USER_DATA/$user/dns.conf); do

		# Syncing domain index
		eval $str
		cluster_cmd v-insert-dns-domain $DNS_USER "$str" $HOSTNAME ' ' no
		check_result $? "$HOST connection failed" $E_CONNECT

		# Syncing domain records
		tmp_file="/tmp/vst-sync.$DOMAIN"
		cluster_file $USER_DATA/$user/dns/$DOMAIN.conf $tmp_file
		check_result $? "$HOST connection failed" $E_CONNECT

		cluster_cmd v-insert-dns-records $DNS_USER $DOMAIN $tmp_file 'no'
		check_result $? "$HOST connection failed" $E_CONNECT
	done
done

# Rebuilding dns zones
cluster_cmd v-rebuild-dns-domains $DNS_USER yes no
check_result $? "$TYPE connection to $HOST failed" $E_CONNECT

exit 0
