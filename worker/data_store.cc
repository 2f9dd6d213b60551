#include "worker/data_store.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/codec.h"
#include "common/logging.h"
#include "worker/spill_file.h"

namespace weft {

absl::StatusOr<std::unique_ptr<DataStore>> DataStore::Open(const DataStoreOptions& options) {
  const int64_t target =
      static_cast<int64_t>(static_cast<double>(options.memory_limit) * options.target_fraction);
  if (options.memory_limit <= 0 || options.target_fraction <= 0 ||
      options.local_directory.empty()) {
    return std::unique_ptr<DataStore>(new DataStore());
  }
  // A private subdirectory: several workers may share one --local-directory.
  std::string dir = absl::StrCat(options.local_directory, "/spill-", ::getpid(), "-XXXXXX");
  if (::mkdtemp(dir.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("cannot create a spill directory in ",
                                            options.local_directory, ": ", std::strerror(errno)));
  }
  return std::unique_ptr<DataStore>(new DataStore(std::max<int64_t>(target, 1), std::move(dir)));
}

DataStore::DataStore(int64_t target_bytes, std::string spill_directory)
    : target_bytes_(target_bytes), spill_directory_(std::move(spill_directory)) {}

DataStore::~DataStore() {
  if (spill_directory_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(spill_directory_, ignored);
}

std::string DataStore::SpillPath(uint64_t id) const {
  return absl::StrCat(spill_directory_, "/", id, ".weft.zst");
}

void DataStore::DetachLocked(Entry& entry, Value* doomed, std::string* doomed_file) {
  switch (entry.where) {
    case Where::kMemory:
    case Where::kSpilling:  // the spiller sees the id gone and deletes its own file
      memory_bytes_ -= entry.nbytes;
      break;
    case Where::kDisk:
      spilled_bytes_ -= entry.nbytes;
      *doomed_file = SpillPath(entry.file_id);
      break;
  }
  if (entry.in_lru) lru_.erase(entry.lru);
  entry.in_lru = false;
  *doomed = std::move(entry.value);
}

void DataStore::TouchLocked(Entry& entry) {
  if (entry.in_lru) lru_.splice(lru_.end(), lru_, entry.lru);
}

int64_t DataStore::Put(const std::string& key, Value value) {
  // Measured outside the lock: nbytes() walks nested lists.
  const int64_t nbytes = static_cast<int64_t>(value.nbytes());
  Value doomed;  // destroyed after the lock is released: freeing big buffers takes time
  std::string doomed_file;
  {
    absl::MutexLock lock(&mu_);
    auto [it, inserted] = entries_.try_emplace(key);
    if (!inserted) DetachLocked(it->second, &doomed, &doomed_file);
    Entry& entry = it->second;
    entry = Entry();
    entry.value = std::move(value);
    entry.nbytes = nbytes;
    entry.id = next_id_++;
    memory_bytes_ += nbytes;
    peak_held_bytes_ = std::max(peak_held_bytes_, memory_bytes_ + spilled_bytes_);
    if (target_bytes_ > 0) {
      entry.lru = lru_.insert(lru_.end(), key);
      entry.in_lru = true;
    }
  }
  if (!doomed_file.empty()) ::unlink(doomed_file.c_str());
  SpillIfNeeded();
  return nbytes;
}

void DataStore::SpillIfNeeded() {
  if (target_bytes_ == 0) return;
  while (SpillOne(/*force=*/false)) {
  }
}

bool DataStore::SpillOldest() { return target_bytes_ > 0 && SpillOne(/*force=*/true); }

bool DataStore::SpillOne(bool force) {
  std::string key;
  Value value;
  uint64_t id, file_id;
  int64_t nbytes;
  {
    absl::MutexLock lock(&mu_);
    if (lru_.empty()) return false;
    if (!force && memory_bytes_ - spilling_bytes_ <= target_bytes_) return false;
    key = lru_.front();
    Entry& entry = entries_.at(key);
    lru_.pop_front();
    entry.in_lru = false;
    entry.where = Where::kSpilling;
    spilling_bytes_ += entry.nbytes;
    value = entry.value;
    id = entry.id;
    // A fresh file name for every spill: a reader of an older file of this key can never
    // see this one half-written.
    file_id = next_id_++;
    nbytes = entry.nbytes;
  }
  const std::string path = SpillPath(file_id);
  // Lists (a shuffle split's buckets) are written an item per frame, so that one item can be
  // read back alone (GetItem).
  const bool sectioned = value.is_list();
  std::vector<SpillSection> sections;
  int64_t encoded_bytes = 0;
  absl::StatusOr<int64_t> written = int64_t{0};
  if (sectioned) {
    absl::StatusOr<std::vector<SpillSection>> written_sections =
        WriteSectionedSpillFile(path, value.as_list());
    if (written_sections.ok()) {
      sections = *std::move(written_sections);
      for (const SpillSection& section : sections) {
        *written += section.disk_bytes;
        encoded_bytes += section.encoded_bytes;
      }
    } else {
      written = written_sections.status();
    }
  } else {
    absl::Cord encoded = EncodeValue(value);
    encoded_bytes = static_cast<int64_t>(encoded.size());
    written = WriteSpillFile(path, encoded);
  }
  value = Value();
  Value doomed;  // the in-memory copy, freed outside the lock
  bool remove_file = !written.ok();
  {
    absl::MutexLock lock(&mu_);
    spilling_bytes_ -= nbytes;
    auto it = entries_.find(key);
    if (it == entries_.end() || it->second.id != id) {
      remove_file = true;  // erased or replaced while we wrote
    } else if (!written.ok()) {
      it->second.where = Where::kMemory;  // kept in memory, never tried again
      last_spill_error_ = written.status();
    } else {
      Entry& entry = it->second;
      doomed = std::move(entry.value);
      entry.value = Value();
      entry.where = Where::kDisk;
      entry.file_id = file_id;
      entry.encoded_bytes = encoded_bytes;
      entry.sectioned = sectioned;
      entry.sections = std::move(sections);
      memory_bytes_ -= entry.nbytes;  // less than `nbytes` if items were dropped meanwhile
      spilled_bytes_ += entry.nbytes;
    }
  }
  if (remove_file) ::unlink(path.c_str());
  if (!written.ok()) {
    WEFT_LOG_WARN("cannot spill {} ({} bytes); keeping it in memory: {}", key, nbytes,
                  written.status().ToString());
  } else {
    WEFT_LOG_DEBUG("spilled {} ({} bytes, {} on disk)", key, nbytes, *written);
  }
  return true;
}

absl::StatusOr<Value> DataStore::Get(const std::string& key) {
  return Read(key, /*bring_back=*/true, /*from_disk=*/nullptr);
}

absl::StatusOr<Value> DataStore::Peek(const std::string& key, bool* from_disk) {
  return Read(key, /*bring_back=*/false, from_disk);
}

absl::StatusOr<Value> DataStore::Read(const std::string& key, bool bring_back, bool* from_disk) {
  if (from_disk != nullptr) *from_disk = false;
  // Normally one pass; another pass when the key was re-spilled to a new file while we
  // read the old one.
  for (int attempt = 0;; ++attempt) {
    std::string path;
    uint64_t file_id;
    int64_t encoded_bytes;
    std::vector<SpillSection> sections;
    bool sectioned;
    {
      absl::MutexLock lock(&mu_);
      auto it = entries_.find(key);
      if (it == entries_.end()) {
        return absl::NotFoundError(absl::StrCat("key ", key, " is not held by this worker"));
      }
      Entry& entry = it->second;
      if (!entry.dropped.empty()) return NotWhole(key, entry);
      if (entry.where != Where::kDisk) {
        TouchLocked(entry);
        return entry.value;
      }
      file_id = entry.file_id;
      path = SpillPath(file_id);
      encoded_bytes = entry.encoded_bytes;
      sectioned = entry.sectioned;
      if (sectioned) sections = entry.sections;
    }
    absl::StatusOr<Value> value =
        sectioned ? ReadSectionedSpillFile(path, sections) : ReadSpillFile(path, encoded_bytes);
    bool unspilled = false;
    {
      absl::MutexLock lock(&mu_);
      auto it = entries_.find(key);
      if (it == entries_.end()) {
        // Erased while we read: what we read, if anything, was its value.
        if (value.ok()) return value;
        return absl::NotFoundError(absl::StrCat("key ", key, " is not held by this worker"));
      }
      Entry& entry = it->second;
      if (!entry.dropped.empty()) return NotWhole(key, entry);
      if (entry.where != Where::kDisk) {  // another reader brought it back, or replaced
        TouchLocked(entry);
        return entry.value;
      }
      if (entry.file_id != file_id && attempt < 3) continue;
      if (!value.ok()) {
        return absl::Status(value.status().code(),
                            absl::StrCat("cannot read back the value of ", key,
                                         " from disk: ", value.status().message()));
      }
      if (from_disk != nullptr) *from_disk = true;
      // Back to memory; larger values stay on disk, and so do those read for others.
      if (bring_back && entry.nbytes <= target_bytes_) {
        entry.value = *value;
        entry.where = Where::kMemory;
        entry.lru = lru_.insert(lru_.end(), key);
        entry.in_lru = true;
        memory_bytes_ += entry.nbytes;
        spilled_bytes_ -= entry.nbytes;
        unspilled = true;
      }
    }
    if (unspilled) {
      ::unlink(path.c_str());
      SpillIfNeeded();
    }
    return value;
  }
}

absl::StatusOr<Value> DataStore::GetItem(const std::string& key, int64_t index) {
  auto too_short = [&](size_t size) {
    return absl::InvalidArgumentError(
        absl::StrCat("item ", index, " of ", key, ": the list has ", size, " items"));
  };
  auto no_item = [&](const Value& value) {
    if (!value.is_list()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "item ", index, " of ", key, ": the value is a ", value.kind_name(), ", not a list"));
    }
    return too_short(value.as_list().size());
  };
  auto in_range = [index](size_t size) { return index >= 0 && static_cast<size_t>(index) < size; };
  // Normally one pass; again when the key was brought back or re-spilled meanwhile.
  for (int attempt = 0;; ++attempt) {
    std::string path;
    uint64_t file_id;
    SpillSection section;
    {
      absl::MutexLock lock(&mu_);
      auto it = entries_.find(key);
      if (it == entries_.end()) {
        return absl::NotFoundError(absl::StrCat("key ", key, " is not held by this worker"));
      }
      Entry& entry = it->second;
      if (entry.dropped.contains(index)) {
        return absl::NotFoundError(
            absl::StrCat("item ", index, " of ", key, " was freed here once its readers finished"));
      }
      if (entry.where != Where::kDisk) {
        if (!entry.value.is_list() || !in_range(entry.value.as_list().size())) {
          return no_item(entry.value);
        }
        TouchLocked(entry);
        return entry.value.as_list()[static_cast<size_t>(index)];
      }
      if (!entry.sectioned) break;  // not a list: read it whole below, for the error
      if (!in_range(entry.sections.size())) return too_short(entry.sections.size());
      file_id = entry.file_id;
      path = SpillPath(file_id);
      section = entry.sections[static_cast<size_t>(index)];
    }
    // One item from disk; the value stays spilled.
    absl::StatusOr<Value> item = ReadSpillSection(path, section);
    if (item.ok() || attempt >= 3) {
      if (!item.ok()) {
        return absl::Status(item.status().code(),
                            absl::StrCat("cannot read back item ", index, " of ", key,
                                         " from disk: ", item.status().message()));
      }
      return item;
    }
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(key);
    if (it != entries_.end() && it->second.where == Where::kDisk && it->second.file_id == file_id) {
      return absl::Status(item.status().code(),
                          absl::StrCat("cannot read back item ", index, " of ", key,
                                       " from disk: ", item.status().message()));
    }
  }
  absl::StatusOr<Value> value = Get(key);
  if (!value.ok()) return value.status();
  if (!value->is_list() || !in_range(value->as_list().size())) return no_item(*value);
  return value->as_list()[static_cast<size_t>(index)];
}

absl::Status DataStore::NotWhole(const std::string& key, const Entry& entry) {
  std::vector<int64_t> dropped(entry.dropped.begin(), entry.dropped.end());
  std::sort(dropped.begin(), dropped.end());
  return absl::NotFoundError(absl::StrCat("key ", key, " is not whole on this worker: items ",
                                          absl::StrJoin(dropped, ", "),
                                          " were freed once their readers finished"));
}

int64_t DataStore::DropItems(const std::string& key, const std::vector<int64_t>& indexes) {
  // Sizes are measured outside the lock (nbytes() walks nested lists), on a copy of the
  // list (sharing its items); applied if the entry is still the same value.
  Value list;
  uint64_t id;
  absl::flat_hash_set<int64_t> already;
  {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return 0;
    Entry& entry = it->second;
    id = entry.id;
    if (entry.where == Where::kDisk) {  // only counted: the file stays as it is
      if (!entry.sectioned) return 0;
      int64_t dropped_bytes = 0;
      for (int64_t index : indexes) {
        if (index < 0 || static_cast<size_t>(index) >= entry.sections.size()) continue;
        if (!entry.dropped.insert(index).second) continue;
        dropped_bytes +=
            entry.sections[static_cast<size_t>(index)].nbytes - static_cast<int64_t>(sizeof(Value));
      }
      entry.nbytes -= dropped_bytes;
      spilled_bytes_ -= dropped_bytes;
      return dropped_bytes;
    }
    list = entry.value;
    already = entry.dropped;
  }
  if (!list.is_list()) return 0;
  ValueList items = list.as_list();  // shares the items' buffers
  list = Value();
  std::vector<int64_t> dropping;
  int64_t dropped_bytes = 0;
  for (int64_t index : indexes) {
    if (index < 0 || static_cast<size_t>(index) >= items.size() || already.contains(index) ||
        std::find(dropping.begin(), dropping.end(), index) != dropping.end()) {
      continue;
    }
    Value& item = items[static_cast<size_t>(index)];
    dropped_bytes += static_cast<int64_t>(item.nbytes()) - static_cast<int64_t>(sizeof(Value));
    item = Value();
    dropping.push_back(index);
  }
  if (dropping.empty()) return 0;
  Value doomed;  // the old list: its dropped items are freed outside the lock
  {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(key);
    if (it == entries_.end() || it->second.id != id || it->second.where == Where::kDisk ||
        it->second.dropped != already) {
      return 0;  // replaced, erased, spilled or dropped from meanwhile: left as it is now
    }
    Entry& entry = it->second;
    entry.dropped.insert(dropping.begin(), dropping.end());
    doomed = std::move(entry.value);
    entry.value = Value(std::move(items));
    entry.nbytes -= dropped_bytes;
    memory_bytes_ -= dropped_bytes;
  }
  return dropped_bytes;
}

bool DataStore::Contains(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  return entries_.contains(key);
}

int64_t DataStore::NBytes(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(key);
  return it == entries_.end() ? -1 : it->second.nbytes;
}

bool DataStore::Erase(const std::string& key) {
  Value doomed;  // destroyed after the lock is released: freeing big buffers takes time
  std::string doomed_file;
  {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return false;
    DetachLocked(it->second, &doomed, &doomed_file);
    entries_.erase(it);
  }
  if (!doomed_file.empty()) ::unlink(doomed_file.c_str());
  return true;
}

int64_t DataStore::memory_bytes() const {
  absl::MutexLock lock(&mu_);
  return memory_bytes_;
}

int64_t DataStore::spilled_bytes() const {
  absl::MutexLock lock(&mu_);
  return spilled_bytes_;
}

int64_t DataStore::peak_held_bytes() const {
  absl::MutexLock lock(&mu_);
  return peak_held_bytes_;
}

int64_t DataStore::size() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(entries_.size());
}

std::vector<std::string> DataStore::Keys() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> keys;
  keys.reserve(entries_.size());
  for (const auto& [key, entry] : entries_) keys.push_back(key);
  return keys;
}

absl::Status DataStore::last_spill_error() const {
  absl::MutexLock lock(&mu_);
  return last_spill_error_;
}

bool DataStore::can_spill() const {
  absl::MutexLock lock(&mu_);
  return target_bytes_ > 0 && (!lru_.empty() || spilling_bytes_ > 0);
}

bool DataStore::TEST_IsSpilled(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(key);
  return it != entries_.end() && it->second.where == Where::kDisk;
}

std::string DataStore::TEST_SpillPath(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.where != Where::kDisk) return "";
  return SpillPath(it->second.file_id);
}

}  // namespace weft
