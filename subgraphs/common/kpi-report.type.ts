import { Directive, Field, ObjectType } from 'type-graphql';

/**
 * The KPI report of the caller's tenant over [from, to) (issue #13): owned by risk (`kpis` is
 * its query) and extended by actions and signals through entity resolution. The key is the
 * period only: the tenant comes from the signed context of every subgraph request, never from the key.
 *
 * Its fields, key and description are defined once, here. Each subgraph still declares its own
 * `KpiReport` class (`@KpiReportEntity() class KpiReport extends KpiReportKey {}`), because
 * type-graphql attaches a `@FieldResolver` to the class object: with one class shared by the
 * three, every subgraph's schema would carry the KPI fields of the other two.
 */
// registered (unnamed in the schema: no resolver returns it) so that subclasses inherit its fields
@ObjectType()
export abstract class KpiReportKey {
  @Field(() => Date)
  from!: Date;

  @Field(() => Date)
  to!: Date;
}

/** Makes a subclass of `KpiReportKey` the `KpiReport` entity type of its subgraph's schema. */
export function KpiReportEntity(): ClassDecorator {
  return (target) => {
    // in the order `@ObjectType(...) @Directive(...) class` applies them (bottom up)
    Directive('@key(fields: "from to")')(target);
    ObjectType('KpiReport', { description: 'KPIs of your tenant over [from, to): each part is computed by the subgraph that owns its data.' })(target);
  };
}
