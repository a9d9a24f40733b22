// MJCF scene composition, as robosuite builds its scenes in Python (models/base.py
// MujocoXML.merge, utils/mjcf_utils.py add_prefix): asset files parsed with libxml2, their
// names prefixed (robot0_, gripper0_, ...), their file paths made absolute, their sections
// merged into one world model, which MuJoCo then compiles from memory. The asset files stay
// where the user keeps them (../shared/data/robosuite): nothing is copied.
#pragma once
#include <mujoco/mujoco.h>

typedef struct MjcfDoc MjcfDoc;

// An empty world <mujoco model="model"> holding the XML fragment `head` (compiler, option,
// size, visual settings) and empty asset / worldbody / actuator / sensor / contact /
// equality / tendon sections. NULL with odp_error set on failure.
MjcfDoc *mjcf_new(const char *model, const char *head);
// A model file; every file="..." attribute made absolute against the file's directory
// (after a compiler meshdir/texturedir, which is then dropped).
MjcfDoc *mjcf_load(const char *path);
void mjcf_free(MjcfDoc *d);

// Prefixes every name and every reference to one (robosuite's MUJOCO_NAMED_ATTRIBUTES),
// skipping values that already carry it.
void mjcf_prefix(MjcfDoc *d, const char *prefix);
// Moves part's sections into d, then frees part: its worldbody's children into body `into`
// of d (NULL: d's worldbody), every other section's children into d's section of that tag.
int mjcf_merge(MjcfDoc *d, MjcfDoc *part, const char *into);

// Attribute `attr` of the element <tag name="name"> (the first; tag NULL: any tag); fails
// naming the element when there is none. _vec writes n numbers %.17g.
int mjcf_set(MjcfDoc *d, const char *tag, const char *name, const char *attr, const char *value);
int mjcf_set_vec(MjcfDoc *d, const char *tag, const char *name, const char *attr, const double *v, int n);
// An object file as robosuite's MujocoXMLObject takes it (models/objects/objects.py): the
// body named `body` inside the worldbody's wrapper body becomes the only root body, named
// `name`; unnamed geoms are named g<i> (depth-first); each collision geom (group 0) gets a
// visual copy <g>_visual (group 1, no contacts, the material) and loses its material.
int mjcf_extract_object(MjcfDoc *d, const char *body, const char *name);
// Appends the XML fragment `xml` (one element) as the last child of <tag name="name">
// (name NULL: the first <tag>).
int mjcf_append(MjcfDoc *d, const char *tag, const char *name, const char *xml);

// The model as MJCF text (malloc'd, NUL-terminated).
char *mjcf_text(const MjcfDoc *d);
// Compiles the model from memory (MuJoCo's virtual file system). NULL with odp_error
// naming `what` and MuJoCo's message on failure.
mjModel *mjcf_compile(const MjcfDoc *d, const char *what);
