import type { components } from "./schema";

type S = components["schemas"];
export type Task = S["TaskRead"];
export type TaskUpdate = S["TaskUpdate"];
export type TaskCreate = S["TaskCreate"];
export type TaskMove = S["TaskMove"];
export type BulkUpdate = S["BulkUpdate"];
export type BulkResult = S["BulkResult"];
export type BulkFailure = S["BulkFailure"];
export type TaskCounts = S["TaskCounts"];
export type Priority = S["Priority"];
export type Status = S["StatusRead"];
export type StatusCategory = S["StatusCategory"];
export type Label = S["LabelRead"];
export type Project = S["ProjectRead"];
export type Workspace = S["WorkspaceRead"];
export type Member = S["MemberRead"];
export type ProjectMember = S["ProjectMemberRead"];
export type Person = S["PersonRead"];
export type ProjectRole = S["ProjectRole"];
export type WorkspaceRole = S["WorkspaceRole"];
export type User = S["UserRead"];
export type Comment = S["CommentRead"];
export type Activity = S["ActivityItem"];
export type Relation = S["RelationRead"];
export type RelationType = S["RelationType"];
export type Problem = S["Problem"];
export type EventType = S["EventType"];
export type TaskSort = NonNullable<
  NonNullable<
    import("./schema").operations["list_tasks_api_v1_projects__project_id__tasks_get"]["parameters"]["query"]
  >["sort"]
>;

export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

export const PRIORITIES: Priority[] = ["urgent", "high", "medium", "low", "none"];
export const PRIORITY_LABEL: Record<Priority, string> = {
  none: "No priority",
  low: "Low",
  medium: "Medium",
  high: "High",
  urgent: "Urgent",
};
