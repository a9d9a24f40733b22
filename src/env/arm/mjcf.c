#include "env/arm/mjcf.h"

#include <libgen.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

struct MjcfDoc {
  xmlDocPtr doc;
};

static const char *const sections[] = {"asset", "worldbody", "actuator", "sensor", "contact", "equality", "tendon",
                                       "default", NULL};

// robosuite's MUJOCO_NAMED_ATTRIBUTES (utils/mjcf_utils.py): names and references to them.
static const char *const named_attributes[] = {
    "class", "childclass", "name", "objname", "material", "texture", "joint", "joint1", "joint2", "jointinparent",
    "geom", "geom1", "geom2", "mesh", "fixed", "actuator", "tendon", "tendon1", "tendon2", "slidesite",
    "cranksite", "body", "body1", "body2", "hfield", "target", "site", NULL};

static int is_element(xmlNodePtr n, const char *tag) {
  return n->type == XML_ELEMENT_NODE && (!tag || !xmlStrcmp(n->name, (const xmlChar *)tag));
}

static xmlNodePtr child(xmlNodePtr parent, const char *tag) {
  for (xmlNodePtr n = parent ? parent->children : NULL; n; n = n->next)
    if (is_element(n, tag)) return n;
  return NULL;
}

// The depth-first first element <tag name="name"> under n (tag NULL: any; name NULL: any).
static xmlNodePtr find(xmlNodePtr n, const char *tag, const char *name) {
  for (; n; n = n->next) {
    if (n->type != XML_ELEMENT_NODE) continue;
    if (is_element(n, tag)) {
      xmlChar *v = name ? xmlGetProp(n, (const xmlChar *)"name") : NULL;
      int hit = !name || (v && !strcmp((const char *)v, name));
      xmlFree(v);
      if (hit) return n;
    }
    xmlNodePtr hit = find(n->children, tag, name);
    if (hit) return hit;
  }
  return NULL;
}

static xmlNodePtr root(const MjcfDoc *d) { return xmlDocGetRootElement(d->doc); }

static xmlNodePtr section(MjcfDoc *d, const char *tag) {
  xmlNodePtr s = child(root(d), tag);
  return s ? s : xmlNewChild(root(d), NULL, (const xmlChar *)tag, NULL);
}

MjcfDoc *mjcf_new(const char *model, const char *head) {
  char *xml = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&xml, &len);
  if (!f) return odp_fail("mjcf: out of memory"), NULL;
  fprintf(f, "<mujoco model=\"%s\">%s", model, head);
  for (const char *const *s = sections; *s; s++)
    if (strcmp(*s, "default")) fprintf(f, "<%s/>", *s);
  fprintf(f, "</mujoco>");
  fclose(f);
  MjcfDoc *d = calloc(1, sizeof *d);
  if (d) d->doc = xmlReadMemory(xml, (int)len, "world.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NODICT);
  free(xml);
  if (!d || !d->doc) return free(d), odp_fail("mjcf: the world model '%s' does not parse", model), NULL;
  return d;
}

// file="..." made absolute against dir (and meshdir/texturedir where the compiler sets one).
static void absolute_files(xmlNodePtr n, const char *dir) {
  for (; n; n = n->next) {
    if (n->type != XML_ELEMENT_NODE) continue;
    xmlChar *file = xmlGetProp(n, (const xmlChar *)"file");
    if (file && file[0] != '/') {
      char path[4096];
      snprintf(path, sizeof path, "%s/%s", dir, (const char *)file);
      xmlSetProp(n, (const xmlChar *)"file", (const xmlChar *)path);
    }
    xmlFree(file);
    absolute_files(n->children, dir);
  }
}

MjcfDoc *mjcf_load(const char *path) {
  MjcfDoc *d = calloc(1, sizeof *d);
  if (!d) return odp_fail("mjcf: out of memory"), NULL;
  d->doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NODICT | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (!d->doc || !root(d) || !is_element(root(d), "mujoco"))
    return mjcf_free(d), odp_fail("%s: not an MJCF model file (<mujoco> root)", path), NULL;
  char copy[4096];
  snprintf(copy, sizeof copy, "%s", path);
  absolute_files(root(d), dirname(copy));
  return d;
}

void mjcf_free(MjcfDoc *d) {
  if (!d) return;
  xmlFreeDoc(d->doc);
  free(d);
}

static void prefix_tree(xmlNodePtr n, const char *prefix) {
  const size_t len = strlen(prefix);
  for (; n; n = n->next) {
    if (n->type != XML_ELEMENT_NODE) continue;
    for (const char *const *a = named_attributes; *a; a++) {
      xmlChar *v = xmlGetProp(n, (const xmlChar *)*a);
      if (v && strncmp((const char *)v, prefix, len)) {
        char named[1024];
        snprintf(named, sizeof named, "%s%s", prefix, (const char *)v);
        xmlSetProp(n, (const xmlChar *)*a, (const xmlChar *)named);
      }
      xmlFree(v);
    }
    prefix_tree(n->children, prefix);
  }
}

void mjcf_prefix(MjcfDoc *d, const char *prefix) { prefix_tree(root(d)->children, prefix); }

// Documents are parsed without a string dictionary (XML_PARSE_NODICT), so nodes move
// between them once re-owned.
static void move_children(xmlNodePtr from, xmlNodePtr to) {
  for (xmlNodePtr n = from->children, next; n; n = next) {
    next = n->next;
    if (n->type != XML_ELEMENT_NODE) continue;
    xmlUnlinkNode(n);
    xmlSetTreeDoc(n, to->doc);
    xmlAddChild(to, n);
  }
}

int mjcf_merge(MjcfDoc *d, MjcfDoc *part, const char *into) {
  xmlNodePtr target = into ? find(root(d), "body", into) : section(d, "worldbody");
  if (!target) return mjcf_free(part), odp_fail("mjcf: no body '%s' to attach to", into);
  for (xmlNodePtr s = root(part)->children; s; s = s->next) {
    if (s->type != XML_ELEMENT_NODE) continue;
    if (is_element(s, "worldbody")) move_children(s, target);
    else if (is_element(s, "default")) {  // defaults keep their own element (classes nest)
      xmlNodePtr copy = xmlDocCopyNode(s, d->doc, 1);
      xmlAddChild(root(d), copy);
    } else {
      for (const char *const *t = sections; *t; t++)
        if (is_element(s, *t)) move_children(s, section(d, *t));
    }
  }
  mjcf_free(part);
  return ODP_OK;
}

int mjcf_set(MjcfDoc *d, const char *tag, const char *name, const char *attr, const char *value) {
  xmlNodePtr n = find(root(d), tag, name);
  if (!n) return odp_fail("mjcf: no <%s name=\"%s\">", tag ? tag : "*", name ? name : "");
  xmlSetProp(n, (const xmlChar *)attr, (const xmlChar *)value);
  return ODP_OK;
}

int mjcf_set_vec(MjcfDoc *d, const char *tag, const char *name, const char *attr, const double *v, int n) {
  char buf[512];
  int at = 0;
  for (int i = 0; i < n && at < (int)sizeof buf; i++) at += snprintf(buf + at, sizeof buf - (size_t)at, "%s%.17g", i ? " " : "", v[i]);
  return mjcf_set(d, tag, name, attr, buf);
}

// Names unnamed geoms g<i> in depth-first order; *i counts them.
static void name_geoms(xmlNodePtr n, int *i) {
  for (; n; n = n->next) {
    if (!is_element(n, NULL)) continue;
    if (is_element(n, "geom")) {
      if (!xmlHasProp(n, (const xmlChar *)"name")) {
        char name[32];
        snprintf(name, sizeof name, "g%d", *i);
        xmlSetProp(n, (const xmlChar *)"name", (const xmlChar *)name);
      }
      (*i)++;
    }
    name_geoms(n->children, i);
  }
}

// Each group-0 geom under n: a visual copy appended to its body, its own material dropped.
static void duplicate_collision_geoms(xmlNodePtr n) {
  for (xmlNodePtr c = n->children, next; c; c = next) {
    next = c->next;
    if (is_element(c, "body")) duplicate_collision_geoms(c);
    if (!is_element(c, "geom")) continue;
    xmlChar *group = xmlGetProp(c, (const xmlChar *)"group"), *name = xmlGetProp(c, (const xmlChar *)"name");
    if (!group || !xmlStrcmp(group, (const xmlChar *)"0")) {
      xmlNodePtr vis = xmlCopyNode(c, 1);
      char vname[256];
      snprintf(vname, sizeof vname, "%s_visual", (const char *)name);
      xmlSetProp(vis, (const xmlChar *)"name", (const xmlChar *)vname);
      xmlSetProp(vis, (const xmlChar *)"group", (const xmlChar *)"1");
      xmlSetProp(vis, (const xmlChar *)"contype", (const xmlChar *)"0");
      xmlSetProp(vis, (const xmlChar *)"conaffinity", (const xmlChar *)"0");
      xmlSetProp(vis, (const xmlChar *)"mass", (const xmlChar *)"1e-8");
      xmlUnsetProp(vis, (const xmlChar *)"density");
      xmlAddChild(n, vis);
      xmlUnsetProp(c, (const xmlChar *)"material");
      xmlSetProp(c, (const xmlChar *)"rgba", (const xmlChar *)"0.5 0 0 1");
    }
    xmlFree(group), xmlFree(name);
  }
}

int mjcf_extract_object(MjcfDoc *d, const char *body, const char *name) {
  xmlNodePtr wb = section(d, "worldbody"), b = find(wb->children, "body", body);
  if (!b) return odp_fail("mjcf: the object has no body '%s'", body);
  xmlUnlinkNode(b);
  for (xmlNodePtr c = wb->children, next; c; c = next) next = c->next, xmlUnlinkNode(c), xmlFreeNode(c);
  xmlAddChild(wb, b);
  xmlSetProp(b, (const xmlChar *)"name", (const xmlChar *)name);
  int i = 0;
  name_geoms(b->children, &i);
  duplicate_collision_geoms(b);
  return ODP_OK;
}

int mjcf_append(MjcfDoc *d, const char *tag, const char *name, const char *xml) {
  xmlNodePtr parent = find(root(d), tag, name), node = NULL;
  if (!parent) return odp_fail("mjcf: no <%s name=\"%s\">", tag, name ? name : "");
  if (xmlParseInNodeContext(parent, xml, (int)strlen(xml), XML_PARSE_NOBLANKS, &node) != XML_ERR_OK || !node)
    return odp_fail("mjcf: fragment does not parse: %.60s", xml);
  xmlAddChildList(parent, node);
  return ODP_OK;
}

char *mjcf_text(const MjcfDoc *d) {
  xmlChar *buf = NULL;
  int len = 0;
  xmlDocDumpMemory(d->doc, &buf, &len);
  char *out = buf ? malloc((size_t)len + 1) : NULL;
  if (out) memcpy(out, buf, (size_t)len), out[len] = 0;
  xmlFree(buf);
  if (!out) odp_fail("mjcf: out of memory");
  return out;
}

mjModel *mjcf_compile(const MjcfDoc *d, const char *what) {
  char *text = mjcf_text(d);
  if (!text) return NULL;
  mjVFS *vfs = malloc(sizeof *vfs);
  mjModel *m = NULL;
  char err[1024] = "out of memory";
  if (vfs) {
    mj_defaultVFS(vfs);
    const int len = (int)strlen(text);
    if (!mj_makeEmptyFileVFS(vfs, "scene.xml", len)) {
      memcpy(vfs->filedata[vfs->nfile - 1], text, (size_t)len);
      m = mj_loadXML("scene.xml", vfs, err, sizeof err);
    } else snprintf(err, sizeof err, "virtual file system full");
    mj_deleteVFS(vfs);
  }
  free(vfs), free(text);
  if (!m) odp_fail("%s: MuJoCo cannot compile the scene: %s", what, err);
  return m;
}
