/* The files of a record's upload fields while it is edited: those attached (from the server), those chosen to be
 * sent and those to be deleted when the record is saved. The renderer's upload widgets read and change this. */
import {api} from "./api.js";

export class Attachments {
  /** route: cases, incidents or tracing_requests; files: the record's attachments ([] for a new record). */
  constructor(route, files, recordId) {
    this.route = route;
    this.files = files.map((file) => ({id: file.id, field: file.field, name: file.file_name || file.id, size: file.size,
      href: recordId ? `/api/v1/${route}/${recordId}/attachments/${file.id}` : null}));
    this.pending = [];  // {field, name, file, pending: true}
    this.removed = [];  // attached files to delete
  }

  /** The files an upload field shows: attached ones not removed, then the chosen ones. */
  of(field) {
    return [...this.files.filter((file) => file.field === field && !this.removed.includes(file)),
      ...this.pending.filter((file) => file.field === field)];
  }

  add(field, files) {
    for (const file of files) this.pending.push({field, name: file.name, file, pending: true});
  }

  remove(field, file) {
    if (file.pending) this.pending = this.pending.filter((candidate) => candidate !== file);
    else this.removed.push(file);
  }

  get changed() {
    return this.pending.length > 0 || this.removed.length > 0;
  }

  /** Send the chosen files and delete the removed ones, once the record exists; returns the refusals [{name, error}]. */
  async save(recordId) {
    const refused = [];
    for (const file of this.removed) {
      try { await api("DELETE", `/api/v1/${this.route}/${recordId}/attachments/${file.id}`); } catch (error) { refused.push({name: file.name, error}); }
    }
    for (const file of this.pending) {
      const body = new FormData();
      body.append("file", file.file, file.name);
      try { await api("POST", `/api/v1/${this.route}/${recordId}/attachments/${file.field}`, body); } catch (error) { refused.push({name: file.name, error}); }
    }
    this.pending = [];
    this.removed = [];
    return refused;
  }
}
