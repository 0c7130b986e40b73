// Make the replica set rs0 and its two users, once: `admin` (root, for the operators) and `abri` (read and write
// on Abri's database only, what ABRI_MONGO_URI names). Running it again changes nothing.
//
// Run it on the first member, through its own loopback address: before the first user exists, MongoDB accepts
// these commands only from there (the "localhost exception").
//
//   MONGO_ADMIN_PASSWORD='...' MONGO_ABRI_PASSWORD='...' \
//   ABRI_RS_MEMBERS=db1.abri.internal:27017,db2.abri.internal:27017,db3.abri.internal:27017 \
//     mongosh --quiet --host 127.0.0.1 --file init-replica-set.js
//
// Each password may instead be read from a file: MONGO_ADMIN_PASSWORD_FILE=/path (docker-compose.yml does that).
// The first member gets a higher priority, so that it is the primary whenever it is up (the script needs it to be
// primary to make the users). ABRI_RS_NAME (rs0) and ABRI_MONGO_DB_NAME (abri) may be changed too.
const fs = require("fs");

function setting(name, fallback) {
  if (process.env[name]) return process.env[name];
  const file = process.env[name + "_FILE"];
  if (file) return fs.readFileSync(file, "utf8").trim();
  if (fallback !== undefined) return fallback;
  throw new Error(`${name} (or ${name}_FILE) is not set`);
}

const replicaSet = setting("ABRI_RS_NAME", "rs0");
const hosts = setting("ABRI_RS_MEMBERS").split(",").map((host) => host.trim()).filter(Boolean);
const adminPassword = setting("MONGO_ADMIN_PASSWORD");
const abriPassword = setting("MONGO_ABRI_PASSWORD");
const abriDatabase = setting("ABRI_MONGO_DB_NAME", "abri");
const admin = db.getSiblingDB("admin");

function signedIn() {
  try {
    admin.auth("admin", adminPassword);
    return true;
  } catch (error) {
    return false;   // no user yet (the localhost exception is open), or another password
  }
}

function waitForPrimary() {
  for (let second = 0; second < 120; second++) {
    if (admin.runCommand({ hello: 1 }).isWritablePrimary) return;
    sleep(1000);
  }
  throw new Error("this member did not become the primary within 2 minutes");
}

if (!signedIn()) {
  let initiated = true;
  try {
    rs.status();
  } catch (error) {
    if (error.codeName !== "NotYetInitialized") throw error;
    initiated = false;
  }
  if (!initiated) {
    const members = hosts.map((host, index) => ({ _id: index, host: host, priority: index === 0 ? 2 : 1 }));
    rs.initiate({ _id: replicaSet, members: members });
    print(`Replica set ${replicaSet} initiated: ${hosts.join(", ")}`);
  }
  waitForPrimary();
  admin.createUser({ user: "admin", pwd: adminPassword, roles: ["root"] });
  print("User admin made");
  if (!signedIn()) throw new Error("the admin user was made but its password is refused");
}

waitForPrimary();
if (admin.getUser("abri") === null) {
  admin.createUser({ user: "abri", pwd: abriPassword, roles: [{ role: "readWrite", db: abriDatabase }] });
  print(`User abri made (readWrite on ${abriDatabase})`);
}
print(`Replica set ${replicaSet}: ${rs.status().members.map((m) => `${m.name} ${m.stateStr}`).join(", ")}`);
